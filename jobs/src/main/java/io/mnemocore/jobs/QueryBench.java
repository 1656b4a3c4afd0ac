package io.mnemocore.jobs;

import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.bench.ClusteredData;
import io.mnemocore.hdv.bench.Stats;
import io.mnemocore.hdv.kernel.FastCpuKernel;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.client.MnemoClient;
import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.query.Hit;
import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.query.QueryReply;
import io.mnemocore.operators.query.ReplyCodec;
import io.mnemocore.operators.query.StageClock;
import io.mnemocore.operators.redis.RedisStreams;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;
import org.apache.flink.core.execution.JobClient;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code ./mnemocore bench query --hot N --qps R --seconds S}: the job on embedded defaults
 * (MiniCluster, RocksDB, checkpoints) with N HOT memories written through Redis, then queries sent
 * at R per second on the query stream; latency is measured end to end, from the XADD of a query to
 * the arrival of its reply on the reply stream. Memories are clustered (a center per 100
 * memories, each memory 500–2,500 bits from its center), queries lie 1,000 bits from a center, so
 * the top-10 is meaningful; recall@10 compares sampled replies with an exact scan done here.
 * The last line is JSON.
 */
public final class QueryBench {
    private QueryBench() {}

    /** Replies whose recall@k is checked against an exact scan. */
    private static final int RECALL_SAMPLE = 200;
    /** How long after a checkpoint trigger a query counts as sent "near" it (the stalls traced lasted 0.5–1 s). */
    private static final long CHECKPOINT_WINDOW_MS = 2000;
    /** The p99 target: replies slower than this are broken down by cause. */
    private static final double SLOW_MS = 10;
    /**
     * Where a reply's time goes, in order (from the reply's {@code stages_us}, on this JVM's wall
     * clock, which the embedded job shares): source = the query's XADD to its preparation (Redis,
     * the source's fetch, decoding); to_index = to the start of the search in the HOT index subtask
     * that finished last (fan-out, network, its queue); search; to_merge = to the completed merge
     * (network, the merger's queue); reply = to the reply made (WARM search if asked, rerank);
     * back = to the bench reading it (the reply's XADD, Redis, the bench's reader).
     */
    static final String[] STAGES = {"source", "to_index", "search", "to_merge", "reply", "back"};
    /** A stage time not known (no reply yet, or a reply without stages); any real value may be negative by clock slew. */
    static final long UNKNOWN = Long.MIN_VALUE;

    /**
     * Wall-clock times of the embedded job's checkpoint triggers, from the checkpoint coordinator's
     * log (same JVM), kept here without printing them.
     */
    static final class CheckpointTriggers extends org.apache.logging.log4j.core.appender.AbstractAppender {
        private static final String LOGGER = "org.apache.flink.runtime.checkpoint.CheckpointCoordinator";
        private final List<Long> atMs = java.util.Collections.synchronizedList(new ArrayList<>());

        private CheckpointTriggers() {
            super("bench-checkpoint-triggers", null, null, true, org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY);
        }

        static CheckpointTriggers attach() {
            var ctx = (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
            var cfg = ctx.getConfiguration();
            CheckpointTriggers a = new CheckpointTriggers();
            a.start();
            var lc = cfg.getLoggerConfig(LOGGER);
            if (lc.getName().equals(LOGGER)) {
                // A log config of its own (e.g. conf/log4j2-checkpoint-debug.properties) keeps its appenders.
                lc.addAppender(a, org.apache.logging.log4j.Level.INFO, null);
                if (!lc.getLevel().isLessSpecificThan(org.apache.logging.log4j.Level.INFO)) {
                    lc.setLevel(org.apache.logging.log4j.Level.INFO);
                }
            } else {
                lc = org.apache.logging.log4j.core.config.LoggerConfig.newBuilder().withLoggerName(LOGGER)
                        .withLevel(org.apache.logging.log4j.Level.INFO).withAdditivity(false).withConfig(cfg).build();
                lc.addAppender(a, org.apache.logging.log4j.Level.INFO, null);
                cfg.addLogger(LOGGER, lc);
            }
            ctx.updateLoggers();
            return a;
        }

        @Override
        public void append(org.apache.logging.log4j.core.LogEvent e) {
            if (e.getMessage().getFormattedMessage().startsWith("Triggering checkpoint")) {
                atMs.add(e.getTimeMillis());
            }
        }

        List<Long> between(long fromMs, long toMs) {
            synchronized (atMs) {
                // A trigger shortly before the first send still slows the first queries.
                return atMs.stream().filter(t -> t > fromMs - CHECKPOINT_WINDOW_MS && t <= toMs).toList();
            }
        }
    }

    public static void main(String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        int hot = o.intOpt("--hot", 100_000);
        double qps = o.doubleOpt("--qps", 500);
        int seconds = o.intOpt("--seconds", 20);
        int parallelism = o.intOpt("--parallelism", 2);
        int k = o.intOpt("--k", 10);
        int settle = o.intOpt("--settle", 0);
        Path trace = o.pathOpt("--trace", null);
        String readerPriority = o.opt("--reader-priority", "normal");
        int warmup = o.intOpt("--warmup", 10);
        int clusterSize = o.intOpt("--cluster-size", ClusteredData.PER_CLUSTER);
        int contexts = o.intOpt("--contexts", 0);
        o.done("--hot N, --qps R, --seconds S, --parallelism P, --k K, --settle S, --warmup S, --cluster-size C, --contexts N, --trace FILE,"
                + " --reader-priority normal|query");
        if (contexts < 0) {
            throw new IllegalArgumentException("--contexts: 0 (context-free queries) or more, not " + contexts);
        }
        if (!readerPriority.equals("normal") && !readerPriority.equals("query")) {
            throw new IllegalArgumentException("--reader-priority: normal or query, not " + readerPriority);
        }
        String prefix = "haim:bench:query:" + System.currentTimeMillis();
        List<String> sets = new ArrayList<>(List.of("haim.redis.stream_key=" + prefix,
                "haim.redis.query_stream=" + prefix + ":q", "haim.redis.transitions_stream=" + prefix + ":log",
                "haim.redis.dlq_stream=" + prefix + ":dlq", "haim.tiers.hot.max_memories=" + Math.max(100, 2 * hot)));
        sets.addAll(TierBench.scratchTiers());
        MnemoConfig config = o.config(sets);
        JobSettings s = new JobSettings(config);
        int dim = config.dimensionality();
        Path work = Files.createTempDirectory("mnemocore-bench-query-");
        String replies = prefix + ":replies";

        // The memories, kept here for the exact reference.
        SplitMix64 rnd = new SplitMix64(3);
        ClusteredData data = ClusteredData.generate(hot, dim, clusterSize, rnd);
        HdvMatrix all = data.rows;

        try (JedisPooled redis = s.redis.createClient()) {
            CheckpointTriggers checkpoints = CheckpointTriggers.attach();
            JobClient job = EmbeddedRunner.submit(s, EmbeddedRunner.flinkConfig(s, work, null, parallelism), parallelism, "mnemocore-bench-query");
            try {
                System.err.printf("writing %,d memories (%d-bit HDVs, %d per center) through Redis...%n", hot, dim, clusterSize);
                long w0 = System.nanoTime();
                write(redis, prefix, all, s);
                String group = config.getString("haim.redis.consumer_group");
                // Entries are acknowledged at checkpoints: wait for one after the load, but not
                // forever when the checkpoint interval is set past the bench's patience.
                long ackDeadline = Long.MAX_VALUE;
                while (true) {
                    RedisStreams.GroupInfo g = RedisStreams.groupInfo(redis, prefix, group);
                    if (g.entriesRead >= hot && g.lag == 0) {
                        if (g.pending == 0) {
                            break;
                        }
                        if (ackDeadline == Long.MAX_VALUE) {
                            ackDeadline = System.nanoTime() + (config.getLong("haim.job.checkpoint_interval_ms") + 30_000) * 1_000_000L;
                        } else if (System.nanoTime() > ackDeadline) {
                            System.err.println("no checkpoint has acknowledged the load yet; measuring anyway");
                            break;
                        }
                    }
                    Thread.sleep(200);
                }
                System.err.printf("applied in %.1f s; %s warming up the HOT index%n", (System.nanoTime() - w0) / 1e9,
                        settle > 0 ? "idle for " + settle + " s (background compaction of the bulk load), then" : "");
                Thread.sleep(settle * 1000L);
                // The first query builds nothing (the index follows live), but the JIT compiles the
                // query path (C2 took a quarter of the 2 cores for a while after a short warm-up) and
                // RocksDB takes in the first rounds of fed-back accesses: warm up at the measured rate.
                QueryPathPriority reader = readerPriority.equals("query") ? MnemoCoreJob.queryPathPriority(config) : QueryPathPriority.NORMAL;
                Run warm;
                WriteProbe.Result probed;
                try (WriteProbe probe = new WriteProbe(new MnemoClient(config.getString("haim.redis.url"), prefix, prefix + ":q",
                        config.codecLimits(), "localhost", 0))) {
                    warm = run(redis, s.codec, prefix, replies, data, k, qps, warmup, rnd, reader, contexts);
                    probed = probe.finish();
                }
                if (warm.sent > 0 && warm.replies() == 0) {
                    throw new IllegalStateException(unanswered(redis, warm.sent, prefix + ":dlq"));
                }
                Run r;
                List<StallProbe.Interval> pauses, stalls;
                try (StallProbe probe = new StallProbe(MnemoCoreJob.queryPathPriority(config))) {
                    r = run(redis, s.codec, prefix, replies, data, k, qps, seconds, rnd, reader, contexts);
                    pauses = probe.pauses();
                    stalls = probe.stalls();
                }

                // Recall@10 on a sample of replies, against an exact scan of the same memories.
                double recall = recall(all, r, k);
                double[] lat = r.latenciesMs();
                double[] inJob = r.inJobMs();
                // Split by the job's checkpoints: queries sent in the CHECKPOINT_WINDOW_MS after a trigger, and the rest.
                List<Long> triggers = checkpoints.between(r.startEpochMs, r.startEpochMs + Math.round(r.sendSeconds * 1000));
                if (trace != null) {
                    writeTrace(trace, r, checkpoints.between(0, Long.MAX_VALUE), pauses, stalls);
                }
                List<Double> inside = new ArrayList<>(), outside = new ArrayList<>();
                long[] sentMsAll = new long[r.replies()];
                double[] latencyMsAll = new double[sentMsAll.length];
                boolean[] nearAll = new boolean[sentMsAll.length];
                int n = 0;
                for (int i = 0; i < r.sent && n < sentMsAll.length; i++) {
                    long ns = r.latencyNs.get(i);
                    if (ns == 0) {
                        continue;
                    }
                    long sentMs = r.epochMs(r.sentNs.get(i));
                    boolean near = triggers.stream().anyMatch(t -> sentMs >= t && sentMs < t + CHECKPOINT_WINDOW_MS);
                    (near ? inside : outside).add(ns / 1e6);
                    sentMsAll[n] = sentMs;
                    nearAll[n] = near;
                    latencyMsAll[n++] = ns / 1e6;
                }
                StallProbe.Causes slow = StallProbe.Causes.of(sentMsAll, latencyMsAll, SLOW_MS, pauses, stalls, nearAll);
                long endMs = r.startEpochMs + Math.round(r.sendSeconds * 1000);
                double[] in = inside.stream().mapToDouble(Double::doubleValue).toArray();
                double[] off = outside.stream().mapToDouble(Double::doubleValue).toArray();
                double achieved = r.replies() / r.sendSeconds;
                System.err.printf("%d queries sent in %.1f s, %d replies; end to end p50 %.2f ms p95 %.2f p99 %.2f;"
                                + " in the job (Redis entry time to merged reply, ms resolution) p50 %.1f ms; recall@%d %.4f%n",
                        r.sent, r.sendSeconds, r.replies(), Stats.percentile(lat, 50), Stats.percentile(lat, 95),
                        Stats.percentile(lat, 99), Stats.percentile(inJob, 50), k, recall);
                System.err.printf("%d checkpoints triggered while sending; the %d queries sent within %d ms after one: p99 %.2f ms;"
                                + " the other %d: p50 %.2f p95 %.2f p99 %.2f ms%n", triggers.size(), in.length, CHECKPOINT_WINDOW_MS,
                        Stats.percentile(in, 99), off.length, Stats.percentile(off, 50), Stats.percentile(off, 95), Stats.percentile(off, 99));
                // Figures differ several-fold between machines of the same size: name the one they came from.
                System.err.printf("machine: %s, %d cores; while sending its tasks ran %.2f cores (the CPUs %.0f%% busy by /proc/stat's"
                                + " ticks), this JVM (job and bench) using %.2f cores and allocating %.0f MB/s (%.0f KB a query)%n", cpuModel(),
                        Runtime.getRuntime().availableProcessors(), r.tasksCores, 100 * r.cpuBusy, r.jvmCores, r.allocMbPerS,
                        r.allocKbPerQuery);
                System.err.printf("replies over %.0f ms: %d, overlapping a GC pause %d, else a stall of the probe thread %d, else sent within %d ms"
                                + " after a checkpoint trigger %d, other %d; while sending: GC pauses %s; the probe thread (1 ms sleeps at the query"
                                + " path's priority) woke late, outside GC pauses, %s%n", SLOW_MS, slow.slow, slow.gc, slow.stall,
                        CHECKPOINT_WINDOW_MS, slow.checkpoint, slow.other, StallProbe.describePauses(pauses, r.startEpochMs, endMs),
                        StallProbe.describeStalls(stalls, pauses, r.startEpochMs, endMs));
                double[][] stageMs = r.stageMs();
                int[] slowStages = r.slowByStage(SLOW_MS);
                System.err.printf("where the time goes, ms p50/p99: %s; replies over %.0f ms by their longest stage: %s%n",
                        stageLine(stageMs), SLOW_MS, stageCounts(slowStages));
                double[][] split = r.redisSplitMs();
                System.err.printf("source and back split at Redis's entry time (whole ms), ms p50/p99: to Redis %s/%s, Redis to the job %s/%s;"
                                + " reply to Redis %s/%s, Redis to the bench %s/%s; sent to the reply stored in Redis (rounded up) %s/%s%n",
                        Stats.fmt(Stats.percentile(split[0], 50)), Stats.fmt(Stats.percentile(split[0], 99)),
                        Stats.fmt(Stats.percentile(split[1], 50)), Stats.fmt(Stats.percentile(split[1], 99)),
                        Stats.fmt(Stats.percentile(split[2], 50)), Stats.fmt(Stats.percentile(split[2], 99)),
                        Stats.fmt(Stats.percentile(split[3], 50)), Stats.fmt(Stats.percentile(split[3], 99)),
                        Stats.fmt(Stats.percentile(split[4], 50)), Stats.fmt(Stats.percentile(split[4], 99)));
                System.err.println("allocated, KB a query, by thread: " + r.topAllocators);
                System.err.println("CPU, ms a query: " + r.topCpu);
                // The compiler threads run beside the job's and hold the query path to its smaller
                // real-time budget (RealtimeBudget): a long figure here means --warmup was short.
                System.err.printf("the JIT compiled for %d ms of the %.0f s of sending%n", r.jitCompileMs, r.sendSeconds);
                System.err.printf("during the warm-up, %d writes became searchable after (ms) %s; %d not within %d s;"
                                + " the longest single ask of each (ms) %s%n", probed.found.length,
                        Arrays.toString(Arrays.stream(probed.found).mapToLong(Math::round).toArray()), probed.missed,
                        WriteProbe.GIVE_UP_MS / 1000, Arrays.toString(Arrays.stream(probed.longestAsk).mapToLong(Math::round).toArray()));
                // The warm-up's first seconds show the query path cold (a job just started or restored).
                double[] cold = warm.latenciesInSecondMs(0);
                StringBuilder coldLine = new StringBuilder();
                for (int sec = 0; sec < Math.min(3, warmup); sec++) {
                    double[] l = warm.latenciesInSecondMs(sec);
                    coldLine.append(sec == 0 ? "" : ", ").append(sec).append('-').append(sec + 1).append(" s ")
                            .append(Stats.fmt(Stats.percentile(l, 50))).append('/').append(Stats.fmt(Arrays.stream(l).max().orElse(Double.NaN)));
                }
                System.err.println("the warm-up's first seconds (the query path cold), p50/max ms of the replies to the queries sent in: " + coldLine);
                if (probed.slowestAskStages != null && probed.slowestAskStages[0] != UNKNOWN) {
                    StringBuilder b = new StringBuilder();
                    for (int st = 0; st < STAGES.length; st++) {
                        b.append(st == 0 ? "" : ", ").append(STAGES[st]).append(' ').append(Stats.fmt(probed.slowestAskStages[st] / 1e3));
                    }
                    System.err.println("the slowest of those asks, ms by stage: " + b);
                }
                System.out.println("{\"hot\":" + hot + ",\"cluster_size\":" + clusterSize + ",\"contexts\":" + contexts + ",\"dim\":" + dim + ",\"parallelism\":" + parallelism
                        + ",\"mode\":\"" + config.getString("haim.search.mode") + "\""
                        + ",\"settle_s\":" + settle + ",\"warmup_s\":" + warmup + ",\"qps_target\":" + Stats.fmt(qps) + ",\"qps\":" + Stats.fmt(achieved)
                        + ",\"queries\":" + r.sent + ",\"replies\":" + r.replies()
                        + ",\"warmup_replies\":" + warm.replies()
                        + ",\"p50_ms\":" + Stats.fmt(Stats.percentile(lat, 50))
                        + ",\"p95_ms\":" + Stats.fmt(Stats.percentile(lat, 95))
                        + ",\"p99_ms\":" + Stats.fmt(Stats.percentile(lat, 99))
                        + ",\"in_job_p50_ms\":" + Stats.fmt(Stats.percentile(inJob, 50))
                        + ",\"checkpoints\":" + triggers.size() + ",\"near_checkpoint_queries\":" + in.length
                        + ",\"near_checkpoint_p99_ms\":" + Stats.fmt(Stats.percentile(in, 99))
                        + ",\"between_checkpoints_p99_ms\":" + Stats.fmt(Stats.percentile(off, 99))
                        + ",\"slow_replies\":" + slow.slow + ",\"slow_in_gc_pause\":" + slow.gc + ",\"slow_in_probe_stall\":" + slow.stall
                        + ",\"slow_near_checkpoint\":" + slow.checkpoint + ",\"slow_other\":" + slow.other
                        + ",\"stage_p50_ms\":" + stageJson(stageMs, 50) + ",\"stage_p99_ms\":" + stageJson(stageMs, 99)
                        + ",\"slow_by_stage\":" + stageCounts(slowStages)
                        + ",\"redis_split_p99_ms\":{\"to_redis\":" + Stats.fmt(Stats.percentile(split[0], 99))
                        + ",\"redis_to_job\":" + Stats.fmt(Stats.percentile(split[1], 99))
                        + ",\"reply_to_redis\":" + Stats.fmt(Stats.percentile(split[2], 99))
                        + ",\"redis_to_bench\":" + Stats.fmt(Stats.percentile(split[3], 99)) + "}"
                        + ",\"reply_stored_p50_ms\":" + Stats.fmt(Stats.percentile(split[4], 50))
                        + ",\"reply_stored_p99_ms\":" + Stats.fmt(Stats.percentile(split[4], 99))
                        + ",\"cpu_busy\":" + Stats.fmt(r.cpuBusy) + ",\"tasks_cpu_cores\":" + Stats.fmt(r.tasksCores)
                        + ",\"jvm_cpu_cores\":" + Stats.fmt(r.jvmCores)
                        + ",\"jit_compile_ms\":" + r.jitCompileMs
                        + ",\"jvm_alloc_mb_s\":" + Stats.fmt(r.allocMbPerS) + ",\"alloc_kb_per_query\":" + Stats.fmt(r.allocKbPerQuery)
                        + ",\"warmup_first_s_p50_ms\":" + Stats.fmt(Stats.percentile(cold, 50))
                        + ",\"warmup_first_s_max_ms\":" + Stats.fmt(Arrays.stream(cold).max().orElse(Double.NaN))
                        + ",\"write_probes\":" + probed.found.length + ",\"write_probes_missed\":" + probed.missed
                        + ",\"write_searchable_p50_ms\":" + Stats.fmt(Stats.percentile(probed.found, 50))
                        + ",\"write_searchable_max_ms\":" + Stats.fmt(Arrays.stream(probed.found).max().orElse(Double.NaN))
                        + ",\"recall_at_" + k + "\":" + Stats.fmt(recall) + "}");
            } finally {
                EmbeddedRunner.cancelAndWait(job);
                redis.del(prefix, prefix + ":q", prefix + ":log", prefix + ":dlq", replies);
                IngestBench.deleteTree(work);
            }
        }
    }

    /**
     * How long a write takes to become searchable while queries run: every {@link #EVERY_MS} a new
     * memory with a random vector is stored, in a tenant of its own, through the Java client
     * ({@link MnemoClient}, as an agent would), and then asked for (that vector, k = 1) every
     * {@link #POLL_MS} until a reply has it. The figure is from the store to the first reply that
     * finds it, so it includes up to one poll interval and one query's latency. Runs on its own
     * thread beside the warm-up, so its queries (one at a time) never count in the measured latencies.
     */
    static final class WriteProbe implements AutoCloseable {
        static final String TENANT = "write-probe";
        static final long EVERY_MS = 500;
        static final long POLL_MS = 5;
        static final long GIVE_UP_MS = 10_000;

        static final class Result {
            final double[] found;
            /** Per probe found, its longest single ask (query to reply): a slow probe with a slow ask waited on a reply, not the write. */
            final double[] longestAsk;
            final int missed;
            /** Where the slowest of those asks spent its time, µs per {@link #STAGES}; null if unknown (or it timed out). */
            final long[] slowestAskStages;

            Result(double[] found, double[] longestAsk, long[] slowestAskStages, int missed) {
                this.found = found;
                this.longestAsk = longestAsk;
                this.slowestAskStages = slowestAskStages;
                this.missed = missed;
            }
        }

        private final MnemoClient client;
        private final AtomicBoolean stop = new AtomicBoolean();
        /** Guarded by itself, with the two fields after it. */
        private final List<Double> found = new ArrayList<>();
        private final List<Double> longestAsk = new ArrayList<>();
        private double slowestAskMs = -1;
        private long[] slowestAskStages;
        private final AtomicInteger missed = new AtomicInteger();
        private final Thread thread;
        private volatile Throwable failure;

        /** Takes over {@code client} and closes it (its reply streams deleted) when closed. */
        WriteProbe(MnemoClient client) {
            this.client = client;
            this.thread = new Thread(() -> {
                try {
                    probe();
                } catch (Throwable t) {
                    failure = t;
                }
            }, "bench-write-probe");
            thread.setDaemon(true);
            thread.start();
        }

        private void probe() throws Exception {
            SplitMix64 rnd = new SplitMix64(11);
            for (int j = 0; !stop.get(); j++) {
                long start = System.nanoTime();
                long[] v = new long[client.dimensionality() / 64];
                for (int w = 0; w < v.length; w++) {
                    v[w] = rnd.nextLong();
                }
                String id = client.store(TENANT, "w" + j, null, v, null, null);
                long longest = 0;
                long[] longestStages = null;
                while (!stop.get()) {
                    if (System.nanoTime() - start > GIVE_UP_MS * 1_000_000) {
                        missed.incrementAndGet();
                        break;
                    }
                    long asked = System.nanoTime();
                    long askedUs = StageClock.nowUs();
                    try {
                        QueryReply r = client.query(TENANT, null, v, null, 1, java.time.Duration.ofSeconds(2));
                        long took = System.nanoTime() - asked;
                        if (took > longest) {
                            longest = took;
                            longestStages = stageTimes(askedUs, took / 1_000, r.stagesUs);
                        }
                        if (r.hits != null && r.hits.length > 0 && r.hits[0].memoryId.equals(id)) {
                            synchronized (found) {
                                found.add((System.nanoTime() - start) / 1e6);
                                longestAsk.add(longest / 1e6);
                                if (longest / 1e6 > slowestAskMs) {
                                    slowestAskMs = longest / 1e6;
                                    slowestAskStages = longestStages;
                                }
                            }
                            break;
                        }
                    } catch (java.util.concurrent.TimeoutException e) {
                        // A reply slower than 2 s: ask again, until GIVE_UP_MS.
                        if (System.nanoTime() - asked > longest) {
                            longest = System.nanoTime() - asked;
                            longestStages = null;
                        }
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(POLL_MS * 1_000_000);
                }
                long next = start + EVERY_MS * 1_000_000;
                while (!stop.get() && System.nanoTime() < next) {
                    java.util.concurrent.locks.LockSupport.parkNanos(next - System.nanoTime());
                }
            }
        }

        /** Stops probing (a probe under way is dropped, not counted) and returns what was measured. */
        Result finish() throws InterruptedException {
            close();
            if (failure != null) {
                throw new IllegalStateException("the write probe failed", failure);
            }
            synchronized (found) {
                return new Result(found.stream().mapToDouble(Double::doubleValue).toArray(),
                        longestAsk.stream().mapToDouble(Double::doubleValue).toArray(), slowestAskStages, missed.get());
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (!stop.getAndSet(true)) {
                thread.join();
                client.close();
            }
        }
    }

    /** Why a run got no replies, as far as the job's DLQ tells: a bench that measured nothing says so instead of printing nulls. */
    static String unanswered(JedisPooled redis, int sent, String dlq) {
        List<RedisStreams.Entry> first = RedisStreams.rangeAfter(redis, dlq, "0-0", 1);
        if (first.isEmpty()) {
            return "none of the " + sent + " warm-up queries was answered; the DLQ " + dlq + " is empty";
        }
        Map<String, String> f = first.get(0).strings();
        return "none of the " + sent + " warm-up queries was answered; the DLQ " + dlq + " holds " + redis.xlen(dlq)
                + " entries, the first: " + f.get("reason") + ": " + f.get("detail");
    }

    /**
     * One line per query in send order: ms since the first send, end-to-end ms (blank: no reply),
     * in-job ms, epoch ms, ms since the last checkpoint trigger before it (blank: none), and 1/0:
     * whether its wait overlapped a GC pause, and a late wake-up of the stall probe (GC or not);
     * then the microseconds of each of {@link #STAGES} (blank: unknown).
     */
    private static void writeTrace(Path file, Run r, List<Long> triggers, List<StallProbe.Interval> pauses,
                                   List<StallProbe.Interval> stalls) throws java.io.IOException {
        long t0 = r.sent == 0 ? 0 : r.sentNs.get(0);
        StringBuilder b = new StringBuilder("sent_ms,e2e_ms,in_job_ms,sent_epoch_ms,since_checkpoint_ms,in_gc_pause,in_probe_stall,"
                + String.join(",", Arrays.stream(STAGES).map(x -> x + "_us").toArray(String[]::new)) + "\n");
        for (int i = 0; i < r.sent; i++) {
            Long ns = r.latencyNs.get(i) == 0 ? null : r.latencyNs.get(i);
            Long inJob = ns == null ? null : r.inJobMs.get(i);
            long epoch = r.epochMs(r.sentNs.get(i)); // wall clock, to line the trace up with logs (GC, checkpoints)
            long last = triggers.stream().filter(t -> t <= epoch).mapToLong(Long::longValue).max().orElse(-1);
            long until = epoch + (ns == null ? 0 : (long) Math.ceil(ns / 1e6));
            b.append(String.format(java.util.Locale.ROOT, "%.3f,%s,%s,%d,%s,%d,%d", (r.sentNs.get(i) - t0) / 1e6,
                    ns == null ? "" : String.format(java.util.Locale.ROOT, "%.3f", ns / 1e6), inJob == null ? "" : inJob,
                    epoch, last < 0 ? "" : Long.toString(epoch - last),
                    pauses.stream().anyMatch(p -> p.overlaps(epoch, until)) ? 1 : 0,
                    stalls.stream().anyMatch(st -> st.overlaps(epoch, until)) ? 1 : 0));
            for (AtomicLongArray st : r.stageUs) {
                b.append(',').append(ns == null || st.get(i) == UNKNOWN ? "" : Long.toString(st.get(i)));
            }
            b.append('\n');
        }
        Files.writeString(file, b);
    }

    /**
     * The microseconds of each of {@link #STAGES} for a query sent at {@code sentUs} (epoch) and
     * answered {@code e2eUs} later, from its reply's {@code stages_us}; all {@link #UNKNOWN} without them.
     */
    static long[] stageTimes(long sentUs, long e2eUs, long[] stages) {
        long[] t = new long[STAGES.length];
        if (stages == null || stages.length < 5) {
            Arrays.fill(t, UNKNOWN);
            return t;
        }
        long prepared = stages[0];
        t[0] = prepared - sentUs;
        t[1] = stages[1];
        t[2] = stages[2] - stages[1];
        t[3] = stages[3] - stages[2];
        t[4] = stages[4] - stages[3];
        t[5] = sentUs + e2eUs - (prepared + stages[4]);
        return t;
    }

    /** Redis's time of a stream entry: the milliseconds part of its id ("1712345678901-0"); 0 if not an id. */
    static long redisMs(String entryId) {
        int dash = entryId.indexOf('-');
        try {
            return dash > 0 ? Long.parseLong(entryId, 0, dash, 10) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Per stage, p50/p99 in ms, for the log line. */
    private static String stageLine(double[][] ms) {
        StringBuilder b = new StringBuilder();
        for (int s = 0; s < STAGES.length; s++) {
            b.append(s == 0 ? "" : ", ").append(STAGES[s]).append(' ')
                    .append(Stats.fmt(Stats.percentile(ms[s], 50))).append('/').append(Stats.fmt(Stats.percentile(ms[s], 99)));
        }
        return b.toString();
    }

    /** Per stage, the p-th percentile in ms, as a JSON object. */
    private static String stageJson(double[][] ms, int p) {
        StringBuilder b = new StringBuilder("{");
        for (int s = 0; s < STAGES.length; s++) {
            b.append(s == 0 ? "" : ",").append('"').append(STAGES[s]).append("\":").append(Stats.fmt(Stats.percentile(ms[s], p)));
        }
        return b.append('}').toString();
    }

    private static String stageCounts(int[] n) {
        StringBuilder b = new StringBuilder("{");
        for (int s = 0; s < STAGES.length; s++) {
            b.append(s == 0 ? "" : ",").append("\"").append(STAGES[s]).append("\":").append(n[s]);
        }
        return b.append("}").toString();
    }

    private static void write(JedisPooled redis, String stream, HdvMatrix all, JobSettings s) {
        byte[] key = stream.getBytes(StandardCharsets.UTF_8);
        for (int from = 0; from < all.rows(); from += 1000) {
            try (Pipeline p = redis.pipelined()) {
                for (int i = from; i < Math.min(all.rows(), from + 1000); i++) {
                    MemoryEvent e = new MemoryEvent();
                    e.type = EventType.MEMORY_WRITE;
                    e.memoryId = "m" + i;
                    e.hdv = all.row(i);
                    p.xadd(key, XAddParams.xAddParams(), Map.of(RedisStreams.DATA, s.codec.encode(e)));
                }
                p.sync();
            }
        }
    }

    static final class Run {
        /** Written by the sender only; the reply reader checks ids against it. */
        volatile int sent;
        double sendSeconds;
        /** Machine-wide share of CPU time not idle, and this JVM's CPU in cores, while sending. */
        double cpuBusy = Double.NaN;
        double tasksCores = Double.NaN;
        double jvmCores = Double.NaN;
        double allocMbPerS = Double.NaN;
        double allocKbPerQuery = Double.NaN;
        String topAllocators = "n/a";
        String topCpu = "n/a";
        /** Time the JIT's compiler threads spent compiling while sending (summed over threads); -1 if unknown. */
        long jitCompileMs = -1;
        final long startEpochMs = System.currentTimeMillis();
        final long startNanos = System.nanoTime();
        /** Query i is "{@code idPrefix}i"; the prefix tells this run's replies from an earlier run's stragglers. */
        final String idPrefix = "bq" + startNanos + "-";
        /**
         * Per query, by its number: send time (System.nanoTime()), end-to-end latency (0: no reply
         * yet) and in-job ms. Arrays, not maps keyed by id: the bench shares the JVM with the job,
         * and a map's entries live for seconds and were copied by every young GC until promoted.
         */
        final AtomicLongArray sentNs;
        final AtomicLongArray latencyNs;
        final AtomicLongArray inJobMs;
        /** Per query: wall-clock send time (epoch microseconds) and the microseconds of each of {@link #STAGES}, or {@link #UNKNOWN}. */
        final AtomicLongArray sentUs;
        final AtomicLongArray[] stageUs = new AtomicLongArray[STAGES.length];
        /**
         * Per query, Redis's own time (epoch ms, the entry id's first part) of the query's XADD and
         * of the reply's: they split {@code source} and {@code back} into the part before Redis
         * stored the entry and the part after ({@link #redisSplitMs}); 0 where not known.
         */
        final AtomicLongArray queryRedisMs;
        final AtomicLongArray replyRedisMs;
        private final AtomicInteger replied = new AtomicInteger();
        /**
         * Vectors and replies of the recall sample only: the bench shares the JVM with the job, and
         * keeping every query's 2 KB alive lengthened the job's young-GC pauses.
         */
        final Map<String, long[]> queries = new ConcurrentHashMap<>();
        final Map<String, QueryReply> replies = new ConcurrentHashMap<>();

        Run(int total) {
            sentNs = new AtomicLongArray(total);
            latencyNs = new AtomicLongArray(total);
            inJobMs = new AtomicLongArray(total);
            sentUs = new AtomicLongArray(total);
            queryRedisMs = new AtomicLongArray(total);
            replyRedisMs = new AtomicLongArray(total);
            for (int s = 0; s < STAGES.length; s++) {
                stageUs[s] = new AtomicLongArray(total);
            }
        }

        /** Records the first reply to query {@code id} (replies are at-least-once); false if it is not this run's. */
        boolean replied(String id, long nowNs, long inJob, long[] stages, long redisMs) {
            if (!id.startsWith(idPrefix)) {
                return false;
            }
            int i = Integer.parseInt(id, idPrefix.length(), id.length(), 10);
            if (i >= sent || !latencyNs.compareAndSet(i, 0, Math.max(1, nowNs - sentNs.get(i)))) {
                return false;
            }
            inJobMs.set(i, inJob);
            replyRedisMs.set(i, redisMs);
            long[] t = stageTimes(sentUs.get(i), (nowNs - sentNs.get(i)) / 1_000, stages);
            for (int s = 0; s < STAGES.length; s++) {
                stageUs[s].set(i, t[s]);
            }
            replied.incrementAndGet();
            return true;
        }

        int replies() {
            return replied.get();
        }

        /** End-to-end latencies (ms) of the replied queries sent in second {@code s} of the run (0: the first). */
        double[] latenciesInSecondMs(int s) {
            long from = startNanos + s * 1_000_000_000L;
            long to = from + 1_000_000_000L;
            return IntStream.range(0, sent).filter(i -> latencyNs.get(i) > 0 && sentNs.get(i) >= from && sentNs.get(i) < to)
                    .mapToDouble(i -> latencyNs.get(i) / 1e6).toArray();
        }

        /** Microseconds of the stages of the replied queries, by stage; unknown ones left out. */
        double[][] stageMs() {
            double[][] out = new double[STAGES.length][];
            for (int s = 0; s < STAGES.length; s++) {
                AtomicLongArray a = stageUs[s];
                out[s] = IntStream.range(0, sent).filter(i -> latencyNs.get(i) > 0 && a.get(i) != UNKNOWN)
                        .mapToDouble(i -> a.get(i) / 1e3).toArray();
            }
            return out;
        }

        /**
         * Milliseconds, by replied query: [0] the bench's send to Redis storing the query, [1] Redis
         * storing it to the job preparing it, [2] the job building the reply to Redis storing it, [3]
         * Redis storing the reply to the bench reading it; [4] the bench's send to Redis storing the
         * reply, rounded up: end to end without the client's own wake-up, at most 1 ms long. Redis's
         * clock counts whole ms (floor), so [0] and [2] read up to 1 ms short, [1] and [3] up to 1 ms long.
         */
        double[][] redisSplitMs() {
            int[] ok = IntStream.range(0, sent).filter(i -> latencyNs.get(i) > 0 && queryRedisMs.get(i) > 0
                    && replyRedisMs.get(i) > 0 && stageUs[0].get(i) != UNKNOWN).toArray();
            double[][] out = new double[5][ok.length];
            for (int j = 0; j < ok.length; j++) {
                int i = ok[j];
                long sent = sentUs.get(i);
                long prepared = sent + stageUs[0].get(i);
                long built = prepared + stageUs[1].get(i) + stageUs[2].get(i) + stageUs[3].get(i) + stageUs[4].get(i);
                long read = built + stageUs[5].get(i);
                long q = queryRedisMs.get(i) * 1000;
                long rep = replyRedisMs.get(i) * 1000;
                out[0][j] = (q - sent) / 1e3;
                out[1][j] = (prepared - q) / 1e3;
                out[2][j] = (rep - built) / 1e3;
                out[3][j] = (read - rep) / 1e3;
                out[4][j] = (rep + 1000 - sent) / 1e3;
            }
            return out;
        }

        /** Replies over {@code slowMs}, counted by the stage that took longest in each. */
        int[] slowByStage(double slowMs) {
            int[] n = new int[STAGES.length];
            for (int i = 0; i < sent; i++) {
                if (latencyNs.get(i) / 1e6 <= slowMs || stageUs[0].get(i) == UNKNOWN) {
                    continue;
                }
                int worst = 0;
                for (int s = 1; s < STAGES.length; s++) {
                    if (stageUs[s].get(i) > stageUs[worst].get(i)) {
                        worst = s;
                    }
                }
                n[worst]++;
            }
            return n;
        }

        /** A System.nanoTime() of this run as wall-clock milliseconds. */
        long epochMs(long nanos) {
            return startEpochMs + (nanos - startNanos) / 1_000_000;
        }

        double[] latenciesMs() {
            return IntStream.range(0, sent).filter(i -> latencyNs.get(i) > 0).mapToDouble(i -> latencyNs.get(i) / 1e6).toArray();
        }

        double[] inJobMs() {
            return IntStream.range(0, sent).filter(i -> latencyNs.get(i) > 0).mapToDouble(inJobMs::get).toArray();
        }
    }

    /** Sends queries at a fixed rate from one thread, reads replies on another; waits 5 s for stragglers. */
    private static Run run(JedisPooled redis, io.mnemocore.operators.codec.EventCodec codec, String prefix, String replies,
                           ClusteredData memories, int k, double qps, int seconds, SplitMix64 rnd,
                           QueryPathPriority readerPriority, int contexts) throws Exception {
        int total = Math.toIntExact(Math.round(qps * seconds));
        Run r = new Run(total);
        AtomicBoolean done = new AtomicBoolean();
        String[] cursor = {RedisStreams.lastId(redis, replies)};
        Thread reader = new Thread(() -> {
            readerPriority.apply();
            while (!done.get()) {
                for (RedisStreams.Entry e : RedisStreams.readAfter(redis, replies, cursor[0], 1000, 100)) {
                    long now = System.nanoTime();
                    cursor[0] = e.id;
                    try {
                        QueryReply q = ReplyCodec.decode(e.field(RedisStreams.DATA));
                        if (r.replied(q.queryId, now, q.latencyMs, q.stagesUs, redisMs(e.id)) && r.queries.containsKey(q.queryId)) {
                            r.replies.put(q.queryId, q);
                        }
                    } catch (java.io.IOException ex) {
                        throw new IllegalStateException(ex);
                    }
                }
                QueryPathPriority.pace(); // real-time (--reader-priority query): keeps to the query path's CPU budget
            }
        }, "bench-replies");
        reader.start();
        byte[] key = (prefix + ":q").getBytes(StandardCharsets.UTF_8);
        long periodNs = Math.round(1e9 / qps);
        long sampleEvery = Math.max(1, total / RECALL_SAMPLE);
        long[] cpu0 = machineCpuTicks();
        Map<String, Long> tasks0 = taskRunNanos();
        long jvm0 = jvmCpuNanos();
        long jit0 = jitCompileMs();
        Map<String, Long> threads0 = perThread(false);
        Map<String, Long> threadCpu0 = perThread(true);
        long t0 = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = t0 + i * periodNs;
            // Sleep, not spin: on a 2-core machine a spinning sender would take a core from the job.
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            String id = r.idPrefix + i;
            long[] q = memories.query(1000, rnd);
            MemoryEvent e = new MemoryEvent();
            e.type = EventType.QUERY;
            e.queryId = id;
            e.hdv = q;
            e.k = k;
            e.replyTo = replies;
            if (contexts > 0) {
                // In a context the query passes active inference (its hologram reranks the hits)
                // and its hits become that context's uses.
                e.contextId = "agent-" + (i % contexts);
            }
            byte[] data = codec.encode(e);
            if (i % sampleEvery == 0) {
                r.queries.put(id, q);
            }
            r.sentUs.set(i, StageClock.nowUs());
            r.sentNs.set(i, System.nanoTime());
            r.sent++; // before the XADD: the reply may be read before the next line runs
            byte[] entry = redis.xadd(key, XAddParams.xAddParams(), Map.of(RedisStreams.DATA, data));
            r.queryRedisMs.set(i, redisMs(new String(entry, StandardCharsets.US_ASCII)));
        }
        r.sendSeconds = (System.nanoTime() - t0) / 1e9;
        long[] cpu1 = machineCpuTicks();
        Map<String, Long> tasks1 = taskRunNanos();
        long jvm1 = jvmCpuNanos();
        long jit1 = jitCompileMs();
        Map<String, Long> threads1 = perThread(false);
        Map<String, Long> threadCpu1 = perThread(true);
        if (cpu0 != null && cpu1 != null && cpu1[0] > cpu0[0]) {
            r.cpuBusy = 1 - (double) (cpu1[1] - cpu0[1]) / (cpu1[0] - cpu0[0]);
        }
        if (tasks0 != null && tasks1 != null) {
            r.tasksCores = ranSince(tasks0, tasks1) / 1e9 / r.sendSeconds;
        }
        if (jvm0 >= 0 && jvm1 >= 0) {
            r.jvmCores = (jvm1 - jvm0) / 1e9 / r.sendSeconds;
        }
        if (jit0 >= 0 && jit1 >= 0) {
            r.jitCompileMs = jit1 - jit0;
        }
        if (threads0 != null && threads1 != null && r.sent > 0) {
            long bytes = total(threads1) - total(threads0);
            r.allocMbPerS = bytes / 1e6 / r.sendSeconds;
            r.allocKbPerQuery = bytes / 1e3 / r.sent;
            r.topAllocators = topThreads(threads0, threads1, r.sent, 1e3, 8);
        }
        if (threadCpu0 != null && threadCpu1 != null && r.sent > 0) {
            r.topCpu = topThreads(threadCpu0, threadCpu1, r.sent, 1e6, 10);
            if (jvm0 >= 0 && jvm1 >= 0) {
                // ThreadMXBean lists Java threads only: the JIT's compiler threads, GC and the VM
                // thread are the rest of the process's CPU (with any thread that ended meanwhile).
                long listed = 0;
                for (Map.Entry<String, Long> e : threadCpu1.entrySet()) {
                    listed += e.getValue() - threadCpu0.getOrDefault(e.getKey(), 0L);
                }
                r.topCpu = String.format(java.util.Locale.ROOT, "the JVM %.3f, its Java threads %.3f, its own (JIT, GC, VM) %.3f; by thread: %s",
                        (jvm1 - jvm0) / 1e6 / r.sent, listed / 1e6 / r.sent, (jvm1 - jvm0 - listed) / 1e6 / r.sent, r.topCpu);
            }
        }
        long waitUntil = System.nanoTime() + 5_000_000_000L;
        while (r.replies() < r.sent && System.nanoTime() < waitUntil) {
            Thread.sleep(50);
        }
        done.set(true);
        reader.join();
        return r;
    }

    private static double recall(HdvMatrix all, Run r, int k) {
        List<String> ids = new ArrayList<>(r.replies.keySet());
        int sample = Math.min(RECALL_SAMPLE, ids.size());
        int found = 0, wanted = 0;
        try (FastCpuKernel exact = new FastCpuKernel(Runtime.getRuntime().availableProcessors())) {
            for (int i = 0; i < sample; i++) {
                String id = ids.get(i * ids.size() / sample);
                TopK t = exact.topK(all, r.queries.get(id), k);
                Set<String> got = new HashSet<>();
                for (Hit h : r.replies.get(id).hits) {
                    got.add(h.memoryId);
                }
                for (int j = 0; j < t.size(); j++) {
                    wanted++;
                    if (got.contains("m" + t.row(j))) {
                        found++;
                    }
                }
            }
        }
        return wanted == 0 ? Double.NaN : (double) found / wanted;
    }

    /**
     * Total and idle (idle + iowait) jiffies of all CPUs from /proc/stat, or null off Linux: a
     * saturated machine queues every reply, so its figures say more about the machine than the job.
     */
    static long[] machineCpuTicks() {
        try (var lines = Files.lines(Path.of("/proc/stat"))) {
            String cpu = lines.filter(l -> l.startsWith("cpu ")).findFirst().orElse(null);
            if (cpu == null) {
                return null;
            }
            String[] f = cpu.trim().split("\\s+");
            long total = 0;
            // user .. steal; guest and guest_nice (9, 10) are already inside user and nice.
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {total, Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0)};
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Every task's (thread's) run time so far in ns, keyed "pid/tid", from
     * {@code /proc/PID/task/TID/schedstat}; null off Linux. The scheduler's own clock, unlike
     * /proc/stat: this kernel samples that one at its ticks, and the query path's threads run for
     * fractions of a millisecond between sleeps (at one load it read from 0.31 to 1.23 cores, at
     * times below this JVM's own CPU). A thread that ends between two
     * samples leaves /proc with its time, so the sum can only read low.
     */
    static Map<String, Long> taskRunNanos() {
        Path proc = Path.of("/proc");
        if (!Files.isDirectory(proc.resolve("self/task"))) {
            return null;
        }
        Map<String, Long> ran = new HashMap<>();
        try (var pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path pid : pids) {
                try (var tids = Files.newDirectoryStream(pid.resolve("task"))) {
                    for (Path tid : tids) {
                        String line = Files.readString(tid.resolve("schedstat"));
                        int sp = line.indexOf(' ');
                        ran.put(pid.getFileName() + "/" + tid.getFileName(), Long.parseLong(sp < 0 ? line.trim() : line.substring(0, sp)));
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    // the process or thread ended while we looked: its time is lost to both samples
                }
            }
        } catch (java.io.IOException e) {
            return null;
        }
        return ran;
    }

    /** The run time between two {@link #taskRunNanos()} samples; a task born between them counts whole. */
    static long ranSince(Map<String, Long> before, Map<String, Long> after) {
        long sum = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            sum += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        }
        return sum;
    }

    /** The JIT's compiling time so far (ms, summed over its compiler threads), or -1 where the JVM does not keep it. */
    static long jitCompileMs() {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    static long jvmCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : -1;
    }

    /**
     * Per live thread (job and bench), keyed "name#id": the bytes it allocated so far, or with
     * {@code cpu} the CPU nanoseconds it used so far; null where the JVM cannot tell. Allocation
     * summed is the young GC's pace, a figure that the machine's noise does not move; CPU says
     * where the cores went.
     */
    static Map<String, Long> perThread(boolean cpu) {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean)) {
            return null;
        }
        var sun = (com.sun.management.ThreadMXBean) mx;
        if (cpu ? !sun.isThreadCpuTimeSupported() || !sun.isThreadCpuTimeEnabled() : !sun.isThreadAllocatedMemorySupported()) {
            return null;
        }
        long[] ids = mx.getAllThreadIds();
        long[] values = cpu ? sun.getThreadCpuTime(ids) : sun.getThreadAllocatedBytes(ids);
        java.lang.management.ThreadInfo[] info = mx.getThreadInfo(ids);
        Map<String, Long> out = new java.util.HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (values[i] >= 0 && info[i] != null) { // -1 / null: a thread that ended meanwhile
                out.put(info[i].getThreadName() + "#" + ids[i], values[i]);
            }
        }
        return out;
    }

    private static long total(Map<String, Long> byThread) {
        return byThread.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The n threads whose counter grew most between two {@link #perThread} readings, as
     * "name growth-a-query; ...", the growth divided by {@code unit} (1e3: KB, 1e6: ms of CPU).
     */
    static String topThreads(Map<String, Long> before, Map<String, Long> after, long queries, double unit, int n) {
        return after.entrySet().stream()
                .map(e -> Map.entry(e.getKey().substring(0, e.getKey().lastIndexOf('#')), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(n)
                .map(e -> String.format(java.util.Locale.ROOT, "%s %." + (unit >= 1e6 ? 3 : 1) + "f",
                        e.getKey().length() > 40 ? e.getKey().substring(0, 40) + "…" : e.getKey(), e.getValue() / unit / queries))
                .collect(java.util.stream.Collectors.joining("; "));
    }

    static String cpuModel() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return System.getProperty("os.arch");
        }
    }
}
