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
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what.get());
            }
            Thread.sleep(50);
        }
    }

    static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        awaitOr(() -> what, timeoutMs, condition);
    }
}
