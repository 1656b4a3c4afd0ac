package io.mnemocore.jobs;

import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.bench.Stats;
import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ingest.EventDecoder;
import io.mnemocore.operators.ltp.LtpConsolidator;
import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import io.mnemocore.operators.redis.source.RedisStreamSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code ./mnemocore bench ingest --events N}: fills a fresh stream with N memory.write events
 * carrying 2 KB packed HDVs, then drains it with the job on embedded defaults (RocksDB,
 * exactly-once checkpoints) against the real Redis. {@code --stage source|decode} stops the graph
 * early, to show where the time goes. The last line printed is JSON.
 */
public final class IngestBench {
    private IngestBench() {}

    public static void main(String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        int events = o.intOpt("--events", 100_000);
        String stage = o.opt("--stage", "full");
        int parallelism = o.intOpt("--parallelism", 2);
        o.done("--events N, --stage source|decode|full, --parallelism P");
        String stream = "haim:bench:" + System.currentTimeMillis();
        List<String> sets = new ArrayList<>(List.of("haim.redis.stream_key=" + stream,
                "haim.redis.transitions_stream=" + stream + ":log", "haim.redis.dlq_stream=" + stream + ":dlq"));
        sets.addAll(TierBench.scratchTiers());
        MnemoConfig config = o.config(sets);
        JobSettings s = new JobSettings(config);
        Path work = Files.createTempDirectory("mnemocore-bench-");

        try (JedisPooled redis = s.redis.createClient()) {
            System.err.printf("filling %s with %d memory.write events (2 KB packed HDVs)...%n", stream, events);
            long f0 = System.nanoTime();
            String lastId = fill(redis, s, stream, events);
            double fillS = (System.nanoTime() - f0) / 1e9;
            System.err.printf("filled in %.1f s (%.0f events/s); draining with the job (stage %s, parallelism %d, checkpoints every %d ms)%n",
                    fillS, events / fillS, stage, parallelism, config.getLong("haim.job.checkpoint_interval_ms"));

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(
                    EmbeddedRunner.flinkConfig(s, work, null, parallelism));
            MnemoCoreJob.configure(env, s);
            env.setParallelism(parallelism);
            RedisSourceOptions bounded = s.sourceOptions().withBounds(-1, lastId);
            if (stage.equals("full")) {
                // The query stream is empty here; bounded at 0-0, its source ends at once.
                MnemoCoreJob.defineWorkflow(env, s, new MnemoCoreJob.Sources(new RedisStreamSource(bounded),
                                new RedisStreamSource(s.queryOptions().withBounds(-1, "0-0"))),
                        MnemoCoreJob.productionSinks(s));
            } else {
                DataStream<RedisStreamEntry> entries = env.fromSource(new RedisStreamSource(bounded),
                        org.apache.flink.api.common.eventtime.WatermarkStrategy.noWatermarks(), "redis").uid("bench-source");
                DataStream<?> tail = stage.equals("decode")
                        ? entries.process(new EventDecoder(s.codec)).uid("bench-decode")
                        : entries;
                addDiscard(tail);
            }
            // Sustained rate: from 10% to 90% of the entries read by the group, sampled off the job.
            Progress progress = new Progress(redis, stream, config.getString("haim.redis.consumer_group"), events);
            Thread monitor = new Thread(progress, "bench-progress");
            monitor.setDaemon(true);
            monitor.start();
            long t0 = System.nanoTime();
            JobClient job = env.executeAsync("mnemocore-bench-ingest");
            long stallMs = Math.max(120_000, 6 * config.getLong("haim.job.checkpoint_interval_ms"));
            JobExecutionResult result = awaitEnd(job.getJobExecutionResult(), progress::allReadAtNanos, stallMs,
                    IngestBench::isFlinkTaskThread);
            double seconds = (System.nanoTime() - t0) / 1e9;
            progress.stop.set(true);
            monitor.join();

            long created = acc(result, LtpConsolidator.ACC_CREATED);
            long rewritten = acc(result, LtpConsolidator.ACC_REWRITTEN);
            long dlq = stage.equals("full") ? redis.xlen(s.config.getString("haim.redis.dlq_stream")) : 0;
            RedisStreams.GroupInfo g = RedisStreams.groupInfo(redis, stream, config.getString("haim.redis.consumer_group"));
            boolean checked = stage.equals("full");
            String json = "{\"events\":" + events
                    + ",\"stage\":\"" + stage + "\""
                    + ",\"parallelism\":" + parallelism
                    + ",\"seconds\":" + Stats.fmt(seconds)
                    + ",\"events_per_s\":" + Stats.fmt(events / seconds)
                    + ",\"sustained_events_per_s\":" + Stats.fmt(progress.sustainedRate())
                    + ",\"checkpoint_interval_ms\":" + config.getLong("haim.job.checkpoint_interval_ms")
                    + ",\"fill_events_per_s\":" + Stats.fmt(events / fillS)
                    + ",\"lost\":" + (checked ? Long.toString(events - created) : "null")
                    + ",\"duplicated\":" + (checked ? Long.toString(rewritten) : "null")
                    + ",\"dlq\":" + dlq
                    + ",\"pending_after\":" + g.pending + "}";
            redis.del(stream, stream + ":log", stream + ":dlq");
            System.out.println(json);
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The job's result, or a clear failure when it has not ended {@code stallMs} after the last
     * entry was read. Twice a run never ended: a task thread spun in Flink's input gate after the
     * bounded stream was read and ignored the job's cancel (README, Known gaps). Here that ends the
     * bench with the stuck threads' stacks instead of waiting forever.
     *
     * @param allReadAt when every entry had been read ({@link System#nanoTime}), or -1 while not yet
     */
    static <R> R awaitEnd(CompletableFuture<R> end, LongSupplier allReadAt, long stallMs,
            Predicate<StackTraceElement[]> suspect) throws Exception {
        while (true) {
            try {
                return end.get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long read = allReadAt.getAsLong();
                if (read >= 0 && System.nanoTime() - read > stallMs * 1_000_000L) {
                    throw new IllegalStateException(String.format("the job had not ended %.1f s after it read the last entry", stallMs / 1000.0)
                            + " (README, Known gaps: a task thread spinning in Flink's input gate); busy task threads:"
                            + busyThreads(suspect));
                }
            }
        }
    }

    private static String busyThreads(Predicate<StackTraceElement[]> suspect) {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getState() == Thread.State.RUNNABLE && suspect.test(stack)) {
                b.append("\n  \"").append(t.getName()).append('"');
                for (int i = 0; i < Math.min(8, stack.length); i++) {
                    b.append("\n      at ").append(stack[i]);
                }
            }
        });
        return b.length() == 0 ? " none" : b.toString();
    }

    static boolean isFlinkTaskThread(StackTraceElement[] stack) {
        for (StackTraceElement f : stack) {
            if (f.getClassName().equals("org.apache.flink.streaming.runtime.tasks.StreamTask")) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void addDiscard(DataStream<?> s) {
        ((DataStream) s).addSink(new DiscardingSink<>()).uid("bench-discard");
    }

    private static long acc(JobExecutionResult r, String name) {
        Object v = r.getAccumulatorResult(name);
        return v == null ? 0 : ((Number) v).longValue();
    }

    static String fill(JedisPooled redis, JobSettings s, String stream, int events) {
        SplitMix64 rnd = new SplitMix64(1);
        int words = s.config.dimensionality() / 64;
        byte[] key = stream.getBytes(StandardCharsets.UTF_8);
        byte[] data = "data".getBytes(StandardCharsets.UTF_8);
        long now = System.currentTimeMillis();
        String last = null;
        for (int from = 0; from < events; from += 2000) {
            try (Pipeline p = redis.pipelined()) {
                List<redis.clients.jedis.Response<byte[]>> ids = new ArrayList<>();
                for (int i = from; i < Math.min(events, from + 2000); i++) {
                    MemoryEvent e = new MemoryEvent();
                    e.type = EventType.MEMORY_WRITE;
                    e.tenant = "bench";
                    e.memoryId = "b-" + i;
                    e.contextId = "ctx-" + (i % 16);
                    e.ltpStrength = 0.9;
                    e.timestamp = now;
                    e.hdv = new long[words];
                    for (int w = 0; w < words; w++) {
                        e.hdv[w] = rnd.nextLong();
                    }
                    ids.add(p.xadd(key, XAddParams.xAddParams(), Map.of(data, s.codec.encode(e))));
                }
                p.sync();
                last = new String(ids.get(ids.size() - 1).get(), StandardCharsets.UTF_8);
            }
        }
        return last;
    }

    /** Samples the group's entries-read counter to compute the rate between 10% and 90% progress. */
    static final class Progress implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        private final JedisPooled redis;
        private final String stream;
        private final String group;
        private final long total;
        private long t10 = -1, t90 = -1;
        private long n10, n90;
        private volatile long allRead = -1;

        Progress(JedisPooled redis, String stream, String group, long total) {
            this.redis = redis;
            this.stream = stream;
            this.group = group;
            this.total = total;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                long read = entriesRead();
                long now = System.nanoTime();
                if (t10 < 0 && read >= total / 10) {
                    t10 = now;
                    n10 = read;
                }
                if (t90 < 0 && read >= total * 9 / 10) {
                    t90 = now;
                    n90 = read;
                }
                if (allRead < 0 && read >= total) {
                    allRead = now;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private long entriesRead() {
            try {
                return RedisStreams.groupInfo(redis, stream, group).entriesRead;
            } catch (RuntimeException e) {
                return 0; // group not created yet
            }
        }

        long allReadAtNanos() {
            return allRead;
        }

        double sustainedRate() {
            if (t10 < 0 || t90 <= t10) {
                return Double.NaN;
            }
            return (n90 - n10) / ((t90 - t10) / 1e9);
        }
    }

    static void deleteTree(Path p) {
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (Exception ignored) {
            // temp dir; best effort
        }
    }

}
