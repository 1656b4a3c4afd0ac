package io.mnemocore.jobs;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.bench.ClusteredData;
import io.mnemocore.hdv.bench.Stats;
import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.codec.EventCodec;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.query.QueryReply;
import io.mnemocore.operators.query.ReplyCodec;
import io.mnemocore.operators.redis.RedisStreams;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.core.execution.JobClient;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code ./mnemocore bench inference}: the prefetch hit rate of active inference against the HOT
 * tier's LRU alone, on the job with embedded defaults. Agents follow routines: each of C contexts
 * walks its own sequence of L memories, over and over, the contexts interleaved, with a share of
 * random other memories mixed in. Together they cycle through more memories than HOT holds, the
 * pattern LRU handles worst. The same access sequence runs four times, each on a tenant of its own:
 * once as plain accesses (LRU only), once with an {@code inference.predict} after every access,
 * whose predictions are pre-warmed. A third run sends the blueprint's event instead: no context,
 * the accessed memory's vector as {@code context_hdv}, so its nearest memories are the prediction.
 * The routines' vectors drift (each step a sixteenth of its bits from the one before) and the
 * other memories are random, so content there says where a routine goes next: that run shows the
 * context-vector path at work on a workload made for it, not what content predicts in general.
 * A fourth run sends both, the context and the accessed memory's vector: where the history
 * predicts fewer than k, the vector's nearest memories fill the rest (the top-up).
 * A hit is an access that finds its memory HOT; a miss is one that promotes it from WARM (or
 * COLD), which the audit log records with reason "access". The first round of each run only
 * warms up. The last line is JSON.
 */
public final class InferenceBench {
    private InferenceBench() {}

    public static void main(String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        int contexts = o.intOpt("--contexts", 8);
        int routine = o.intOpt("--routine", 20);
        int hotCapacity = o.intOpt("--hot", 100);
        int rounds = o.intOpt("--rounds", 4);
        int pauseMs = o.intOpt("--pause-ms", 15);
        double noise = o.doubleOpt("--noise", 0.1);
        o.done("--contexts C, --routine L, --hot N, --rounds R, --pause-ms P, --noise F");
        if (rounds < 2) {
            throw new IllegalArgumentException("--rounds must be at least 2: the first one only warms up");
        }
        String prefix = "haim:bench:inference:" + System.currentTimeMillis();
        List<String> sets = new ArrayList<>(List.of("haim.redis.stream_key=" + prefix,
                "haim.redis.query_stream=" + prefix + ":q", "haim.redis.transitions_stream=" + prefix + ":log",
                "haim.redis.dlq_stream=" + prefix + ":dlq", "haim.tiers.hot.max_memories=" + hotCapacity,
                // LRU evictions reach the bus at each checkpoint: keep the HOT cap tight.
                "haim.job.checkpoint_interval_ms=1000"));
        sets.addAll(TierBench.scratchTiers());
        MnemoConfig config = o.config(sets);
        JobSettings s = new JobSettings(config);
        int dim = config.dimensionality();
        Path work = Files.createTempDirectory("mnemocore-bench-inference-");
        int distractors = contexts * routine / 2;
        int memories = contexts * routine + distractors;
        List<String[]> sequence = sequence(contexts, routine, distractors, rounds, noise);
        int perRound = contexts * routine;
        long[][] vectors = vectors(dim, contexts, routine, distractors);

        try (JedisPooled redis = s.redis.createClient()) {
            JobClient job = EmbeddedRunner.submit(s, EmbeddedRunner.flinkConfig(s, work, null, 2), 2, "mnemocore-bench-inference");
            try {
                System.err.printf("%d contexts x routine of %d, %d other memories, %.0f%% noise, HOT capacity %d, %d rounds%n",
                        contexts, routine, distractors, noise * 100, hotCapacity, rounds);
                for (String tenant : ARMS) {
                    for (int m = 0; m < memories; m++) {
                        MemoryEvent e = new MemoryEvent();
                        e.type = EventType.MEMORY_WRITE;
                        e.tenant = tenant;
                        e.memoryId = "m" + m;
                        e.hdv = vectors[m];
                        send(redis, prefix, s.codec, e);
                    }
                }
                settle(redis, prefix, config);
                Map<String, Result> results = new HashMap<>();
                for (String tenant : ARMS) {
                    boolean history = tenant.equals("predict") || tenant.equals("both");
                    boolean vector = tenant.equals("content") || tenant.equals("both");
                    boolean predict = history || vector;
                    Result r = new Result();
                    String replies = prefix + ":replies:" + tenant;
                    String marker = "0-0";
                    for (int i = 0; i < sequence.size(); i++) {
                        if (i == perRound) { // warm-up round done
                            settle(redis, prefix, config);
                            marker = RedisStreams.lastId(redis, prefix + ":log");
                        }
                        String[] a = sequence.get(i); // context, memory
                        MemoryEvent e = new MemoryEvent();
                        e.type = EventType.MEMORY_ACCESS;
                        e.tenant = tenant;
                        e.memoryId = a[1];
                        e.contextId = a[0];
                        e.accessCount = 1;
                        send(redis, prefix, s.codec, e);
                        if (i >= perRound) {
                            r.accesses++;
                        }
                        if (predict) {
                            MemoryEvent p = new MemoryEvent();
                            p.type = EventType.INFERENCE_PREDICT;
                            p.tenant = tenant;
                            p.queryId = "p" + i;
                            // The history run sends no context vector (all zeros): its predictions come from the
                            // history alone, not topped up by content.
                            p.contextId = history ? a[0] : null;
                            p.hdv = vector ? vectors[Integer.parseInt(a[1].substring(1))] : new long[dim / 64];
                            p.predictionWindowS = 1;
                            p.k = 3;
                            p.replyTo = replies;
                            send(redis, prefix + ":q", s.codec, p);
                        }
                        Thread.sleep(pauseMs);
                    }
                    settle(redis, prefix, config);
                    for (Map<String, String> m : RedisStreams.readAll(redis, prefix + ":log", marker)) {
                        if (tenant.equals(m.get("tenant")) && "access".equals(m.get("reason"))
                                && ("warm_to_hot".equals(m.get("kind")) || "cold_reactivation".equals(m.get("kind")))) {
                            r.misses++;
                        }
                        if (tenant.equals(m.get("tenant")) && "prewarm".equals(m.get("reason")) && "warm_to_hot".equals(m.get("kind"))) {
                            r.prewarmed++;
                        }
                    }
                    if (predict) {
                        accuracy(redis, replies, sequence, perRound, contexts, r);
                        System.err.printf("%-7s predictions made by: %s%n", tenant, r.predictedBy);
                    }
                    results.put(tenant, r);
                    System.err.printf("%-7s %d accesses measured, %d misses: hit rate %.3f%s%n", tenant, r.accesses, r.misses,
                            r.hitRate(), predict ? String.format("; %d memories pre-warmed from WARM; next use among the"
                                    + " predictions %d of %d times", r.prewarmed, r.nextPredicted, r.predictions) : "");
                }
                Result lru = results.get("lru");
                Result ai = results.get("predict");
                Result cv = results.get("content");
                Result both = results.get("both");
                System.out.println("{\"contexts\":" + contexts + ",\"routine\":" + routine + ",\"other_memories\":" + distractors
                        + ",\"noise\":" + Stats.fmt(noise) + ",\"hot_capacity\":" + hotCapacity + ",\"measured_accesses\":" + lru.accesses
                        + ",\"lru_hit_rate\":" + Stats.fmt(lru.hitRate()) + ",\"predict_hit_rate\":" + Stats.fmt(ai.hitRate())
                        + ",\"prewarmed\":" + ai.prewarmed
                        + ",\"next_use_predicted\":" + Stats.fmt(ai.nextUsePredicted())
                        + ",\"context_vector_hit_rate\":" + Stats.fmt(cv.hitRate()) + ",\"context_vector_prewarmed\":" + cv.prewarmed
                        + ",\"context_vector_next_use_predicted\":" + Stats.fmt(cv.nextUsePredicted())
                        + ",\"both_hit_rate\":" + Stats.fmt(both.hitRate()) + ",\"both_prewarmed\":" + both.prewarmed
                        + ",\"both_next_use_predicted\":" + Stats.fmt(both.nextUsePredicted())
                        + ",\"both_topped_up\":" + both.predictedBy.getOrDefault("history+content", 0)
                        + "}");
            } finally {
                EmbeddedRunner.cancelAndWait(job);
                redis.del(prefix, prefix + ":q", prefix + ":log", prefix + ":dlq", prefix + ":replies:predict", prefix + ":replies:content",
                        prefix + ":replies:both");
                IngestBench.deleteTree(work);
            }
        }
    }

    static final class Result {
        int accesses;
        int misses;
        int prewarmed;
        int predictions;
        int nextPredicted;
        /** Measured predictions by what made them (the reply's predicted_by). */
        final Map<String, Integer> predictedBy = new java.util.TreeMap<>();

        double hitRate() {
            return accesses == 0 ? Double.NaN : 1.0 - (double) misses / accesses;
        }

        double nextUsePredicted() {
            return predictions == 0 ? Double.NaN : (double) nextPredicted / predictions;
        }
    }

    /** The runs, one tenant each: LRU alone, predictions from history, by context vector, and by both (topped up). */
    static final String[] ARMS = {"lru", "predict", "content", "both"};

    /**
     * The memories' vectors, the same for every run: each routine a drifting chain (a sixteenth of
     * the bits, 1,024 at D = 16,384, flipped a step, so a step's nearest others are the steps either side of it), the
     * other memories random.
     */
    static long[][] vectors(int dim, int contexts, int routine, int distractors) {
        long[][] v = new long[contexts * routine + distractors][];
        SplitMix64 rnd = new SplitMix64(13);
        for (int c = 0; c < contexts; c++) {
            long[] step = Hdv.random(dim, rnd.nextLong()).words();
            for (int s = 0; s < routine; s++) {
                if (s > 0) {
                    step = ClusteredData.flip(step, dim / 16, rnd);
                }
                v[c * routine + s] = step;
            }
        }
        for (int m = contexts * routine; m < v.length; m++) {
            v[m] = Hdv.random(dim, m).words();
        }
        return v;
    }

    /** Rounds of interleaved routines, the same for both runs: (context, memory) per access. */
    static List<String[]> sequence(int contexts, int routine, int distractors, int rounds, double noise) {
        SplittableRandom rnd = new SplittableRandom(11);
        List<String[]> out = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (int step = 0; step < routine; step++) {
                for (int c = 0; c < contexts; c++) {
                    String id = rnd.nextDouble() < noise ? "m" + (contexts * routine + rnd.nextInt(distractors)) : "m" + (c * routine + step);
                    out.add(new String[] {"agent-" + c, id});
                }
            }
        }
        return out;
    }

    /** How often the context's next access was among the predictions made after the one before (measured rounds). */
    private static void accuracy(JedisPooled redis, String replies, List<String[]> sequence, int perRound, int contexts, Result r) {
        for (Map<String, String> m : RedisStreams.readAll(redis, replies, "0-0")) {
            try {
                QueryReply q = ReplyCodec.decode(m.get("data").getBytes(StandardCharsets.ISO_8859_1));
                int i = Integer.parseInt(q.queryId.substring(1));
                int next = i + contexts; // the same context's next access
                if (i < perRound || next >= sequence.size()) {
                    continue;
                }
                r.predictions++;
                r.predictedBy.merge(q.predictedBy == null ? "none" : q.predictedBy, 1, Integer::sum);
                if (q.predicted != null && java.util.Arrays.asList(q.predicted).contains(sequence.get(next)[1])) {
                    r.nextPredicted++;
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void send(JedisPooled redis, String stream, EventCodec codec, MemoryEvent e) {
        redis.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(), Map.of(RedisStreams.DATA, codec.encode(e)));
    }

    /** Until the job has read and acknowledged everything on the bus, then two checkpoints more for evictions in flight. */
    private static void settle(JedisPooled redis, String prefix, MnemoConfig config) throws InterruptedException {
        String group = config.getString("haim.redis.consumer_group");
        for (int quiet = 0; quiet < 3; ) {
            quiet = idle(redis, prefix, group) && idle(redis, prefix + ":q", group) ? quiet + 1 : 0;
            Thread.sleep(config.getLong("haim.job.checkpoint_interval_ms"));
        }
    }

    private static boolean idle(JedisPooled redis, String stream, String group) {
        if (!redis.exists(stream)) {
            return true;
        }
        RedisStreams.GroupInfo g = RedisStreams.groupInfo(redis, stream, group);
        return g != null && g.lag == 0 && g.pending == 0;
    }
}
