package io.mnemocore.jobs;

import io.mnemocore.jobs.config.ConfigLoader;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.params.XAddParams;

/** Starts the real job graph against a test's redis-server and reads what it wrote. */
final class JobTestSupport {
    private JobTestSupport() {}

    static JobSettings settings(RedisServer redis, String... extra) {
        return settings(redis.url(), extra);
    }

    static JobSettings settings(String redisUrl, String... extra) {
        List<String> sets = new ArrayList<>(List.of(
                "haim.redis.url=" + redisUrl,
                "haim.job.checkpoint_interval_ms=300",
                "haim.redis.block_ms=50",
                "haim.job.idle_timeout_ms=200",
                "haim.job.max_event_delay_ms=50"));
        sets.addAll(List.of(extra));
        return new JobSettings(ConfigLoader.load(null, Map.of(), sets));
    }

    static JobClient start(JobSettings s, int parallelism) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        MnemoCoreJob.configure(env, s);
        env.setParallelism(parallelism);
        MnemoCoreJob.defineWorkflow(env, s, MnemoCoreJob.redisSources(s), MnemoCoreJob.redisSinks(s));
        return env.executeAsync("mnemocore-test");
    }

    static String send(JedisPooled c, String stream, byte[] data) {
        return new String(c.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                Map.of("data".getBytes(StandardCharsets.UTF_8), data)), StandardCharsets.UTF_8);
    }

    /** Every entry of a stream as field → value (values as UTF-8, except "data" kept as ISO-8859-1 bytes). */
    static List<Map<String, String>> read(JedisPooled c, String stream) {
        List<Map<String, String>> out = new ArrayList<>();
        String last = "0-0";
        while (true) {
            Object reply = c.sendCommand(Protocol.Command.XRANGE, b(stream), b("(" + last), b("+"), b("COUNT"), b("10000"));
            List<?> entries = (List<?>) reply;
            if (entries.isEmpty()) {
                return out;
            }
            for (Object e : entries) {
                List<?> entry = (List<?>) e;
                last = new String((byte[]) entry.get(0), StandardCharsets.UTF_8);
                List<?> f = (List<?>) entry.get(1);
                Map<String, String> m = new HashMap<>();
                m.put("_id", last);
                for (int i = 0; i + 1 < f.size(); i += 2) {
                    String k = new String((byte[]) f.get(i), StandardCharsets.UTF_8);
                    m.put(k, new String((byte[]) f.get(i + 1), k.equals("data") ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
                }
                out.add(m);
            }
        }
    }

    static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
