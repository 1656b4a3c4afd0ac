package io.mnemocore.jobs;

import io.mnemocore.jobs.config.ConfigLoader;
import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.XAddParams;

/** Starts the real job graph against a test's redis-server and reads what it wrote. */
final class JobTestSupport {
    private JobTestSupport() {}

    static JobSettings settings(RedisServer redis, String... extra) {
        return settings(redis.url(), extra);
    }

    static JobSettings settings(String redisUrl, String... extra) {
        return new JobSettings(ConfigLoader.load(null, Map.of(), sets(redisUrl, extra)));
    }

    /** The key=value settings of {@link #settings}: short checkpoints and timeouts for tests. */
    static List<String> sets(String redisUrl, String... extra) {
        // Each job gets its own WARM store and archive (a later --set in extra wins).
        java.nio.file.Path tiers;
        try {
            tiers = java.nio.file.Files.createTempDirectory("mnemocore-tiers");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<String> sets = new ArrayList<>(List.of(
                "haim.tiers.warm.path=" + tiers.resolve("warm"),
                "haim.tiers.cold.path=" + tiers.resolve("archive"),
                "haim.redis.url=" + redisUrl,
                "haim.job.checkpoint_interval_ms=300",
                "haim.redis.block_ms=50",
                "haim.job.idle_timeout_ms=200",
                "haim.job.max_event_delay_ms=50"));
        sets.addAll(List.of(extra));
        return sets;
    }

    static JobClient start(JobSettings s, int parallelism) throws Exception {
        return start(s, parallelism, null);
    }

    /** With a savepoint: restore from it, failing on state the graph cannot place; on RocksDB. */
    static JobClient start(JobSettings s, int parallelism, String savepoint) throws Exception {
        return start(s, parallelism, savepoint, new org.apache.flink.configuration.Configuration());
    }

    static JobClient start(JobSettings s, int parallelism, String savepoint, org.apache.flink.configuration.Configuration c)
            throws Exception {
        if (savepoint != null) {
            c.setString("execution.state-recovery.path", savepoint);
            c.setString("execution.state-recovery.ignore-unclaimed-state", "false");
            c.setString("state.backend.type", "rocksdb");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(c);
        MnemoCoreJob.configure(env, s);
        env.setParallelism(parallelism);
        MnemoCoreJob.defineWorkflow(env, s, MnemoCoreJob.redisSources(s), MnemoCoreJob.productionSinks(s));
        return env.executeAsync("mnemocore-test");
    }

    static String send(JedisPooled c, String stream, byte[] data) {
        return new String(c.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                Map.of("data".getBytes(StandardCharsets.UTF_8), data)), StandardCharsets.UTF_8);
    }

    /** Every entry of a stream as field → value (UTF-8), plus "_id"; the raw "data" bytes as ISO-8859-1. */
    static List<Map<String, String>> read(JedisPooled c, String stream) {
        return RedisStreams.readAll(c, stream, "0-0");
    }

    /** As {@link #await}, with the description made when it times out (so it can tell the last state). */
    static void awaitOr(java.util.function.Supplier<String> what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what.get() + "; " + busiestThreads());
            }
            Thread.sleep(50);
        }
    }

    static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        awaitOr(() -> what, timeoutMs, condition);
    }

    /**
     * The JVM's threads that used the most CPU in one second, with their scheduling policy, and the
     * stacks of the runnable Flink task threads: what a timed-out wait needs to tell a stalled job
     * from a busy machine (a task thread spinning in Flink's input gate under SCHED_FIFO would take
     * a core from everything else; README, Known gaps).
     */
    static String busiestThreads() throws InterruptedException {
        Map<String, long[]> before = threadCpu();
        Thread.sleep(1_000);
        Map<String, long[]> after = threadCpu();
        StringBuilder b = new StringBuilder("busiest threads in the next second (name tid policy/rtprio cpu-ticks):");
        after.entrySet().stream()
                .filter(e -> before.containsKey(e.getKey()))
                .sorted((x, y) -> Long.compare(y.getValue()[0] - before.get(y.getKey())[0], x.getValue()[0] - before.get(x.getKey())[0]))
                .limit(6)
                .forEach(e -> b.append(' ').append(e.getKey()).append(' ').append(e.getValue()[1] == 0 ? "other" : "fifo/" + e.getValue()[2])
                        .append(' ').append(e.getValue()[0] - before.get(e.getKey())[0]).append(';'));
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getState() == Thread.State.RUNNABLE && IngestBench.isFlinkTaskThread(stack)) {
                b.append("\n  runnable task thread \"").append(t.getName()).append('"');
                for (int i = 0; i < Math.min(6, stack.length); i++) {
                    b.append("\n      at ").append(stack[i]);
                }
            }
        });
        return b.toString();
    }

    /** "comm tid" to {utime+stime ticks, policy, rt priority}, from /proc/self/task (empty where there is none). */
    private static Map<String, long[]> threadCpu() {
        Map<String, long[]> cpu = new java.util.HashMap<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        for (java.io.File task : tasks == null ? new java.io.File[0] : tasks) {
            try {
                String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
                int close = stat.lastIndexOf(')');
                String[] f = stat.substring(close + 2).split(" ");
                // Fields from 3 (state): utime 14, stime 15, rt_priority 40, policy 41.
                cpu.put("'" + stat.substring(stat.indexOf('(') + 1, close) + "' " + task.getName(),
                        new long[] {Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]), Long.parseLong(f[41 - 3]), Long.parseLong(f[40 - 3])});
            } catch (java.io.IOException | RuntimeException e) {
                // the thread ended while listed
            }
        }
        return cpu;
    }
}
