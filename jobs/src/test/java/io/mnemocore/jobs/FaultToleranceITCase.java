package io.mnemocore.jobs;

import static io.mnemocore.jobs.JobTestSupport.await;
import static io.mnemocore.jobs.JobTestSupport.read;
import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.operators.redis.StreamIds;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.params.XAddParams;

/** Redis restarts and TaskManager failures must neither lose nor double any event's effect. */
class FaultToleranceITCase {
    static final String BUS = "haim:subconscious";
    static final int D = 16384;

    static Configuration restarts() {
        Configuration c = new Configuration();
        c.setString("restart-strategy.type", "fixed-delay");
        c.setString("restart-strategy.fixed-delay.attempts", "50");
        c.setString("restart-strategy.fixed-delay.delay", "500 ms");
        return c;
    }

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(1).setConfiguration(restarts()).build());

    private static int nextToKill;

    static String stopWithSavepoint(JobClient job, Path dir) throws Exception {
        return job.stopWithSavepoint(false, dir.toUri().toString(), SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
    }

    /** All entries delivered to the group and acknowledged, i.e. covered by completed checkpoints. */
    static boolean drained(JedisPooled c, String stream, String group) {
        RedisStreams.GroupInfo g = RedisStreams.groupInfo(c, stream, group);
        return g.lag == 0 && g.pending == 0;
    }

    /**
     * {@link #drained}, and the group has got as far as {@code lastSentId}. For a test that cannot
     * count the entries: a query's hits come back to the bus as accesses, and those a stopped job
     * left unread are read by the next one, after or before the test's own.
     */
    static boolean drainedThrough(JedisPooled c, String stream, String group, String lastSentId) {
        RedisStreams.GroupInfo g = RedisStreams.groupInfo(c, stream, group);
        return g.lag == 0 && g.pending == 0 && g.lastDeliveredId != null
                && StreamIds.compare(g.lastDeliveredId, lastSentId) >= 0;
    }

    @Test
    void redisRestartedMidStreamLosesNothing(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), true)) {
            JobSettings s = JobTestSupport.settings(redis);
            JobClient job = JobTestSupport.start(s, 2);
            try (JedisPooled c = redis.client()) {
                writeMemories(c, BUS, 0, 1000);
                await("some created before the outage", 60_000,
                        () -> read(c, "haim:transitions").size() >= 200);
            }
            redis.stop();
            Thread.sleep(2_000);
            redis.startProcess();
            try (JedisPooled c = redis.client()) {
                writeMemories(c, BUS, 1000, 2000);
                await("all 2000 created", 120_000, () -> createdIds(c).size() == 2000);
                await("drained", 60_000, () -> drained(c, BUS, "consolidation_workers"));
                assertThat(c.xlen("haim:dlq")).isZero();
            }
            Map<String, String> state = SavepointInspector.memories(stopWithSavepoint(job, dir.resolve("sp")));
            assertThat(state).hasSize(2000);
            // Every write applied exactly once.
            assertThat(state.values()).allMatch(v -> v.split("\\|")[3].equals("1"));
        }
    }

    static Set<String> createdIds(JedisPooled c) {
        Set<String> ids = new HashSet<>();
        for (Map<String, String> m : read(c, "haim:transitions")) {
            if ("created".equals(m.get("kind"))) {
                ids.add(m.get("memory_id"));
            }
        }
        return ids;
    }

    static void writeMemories(JedisPooled c, String stream, int from, int to) {
        try (Pipeline p = c.pipelined()) {
            for (int i = from; i < to; i++) {
                p.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(), Map.of("data".getBytes(StandardCharsets.UTF_8),
                        packb(dict("type", "memory.write", "memory_id", "m" + i, "hdv", Hdv.random(D, i).toPacked(), "ltp_strength", 0.9))));
            }
            p.sync();
        }
    }

    /**
     * 100,000 events (10,000 writes, 90,000 accesses with explicit, increasing timestamps) run three
     * times: undisturbed; while TaskManagers are killed three times; and killed again with a Redis
     * user that may not XACK, so every restart finds all already-applied entries still pending and
     * must skip them. The final state of every memory (tier, access count, strength, write count)
     * must be identical.
     */
    @Test
    void sameFinalStateWithTaskManagerFailures(@InjectMiniCluster MiniCluster cluster, @TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false); JedisPooled c = redis.client()) {
            int memories = 10_000, events = 100_000;
            long t0 = System.currentTimeMillis();
            List<byte[]> workload = new ArrayList<>(events);
            SplitMix64 rnd = new SplitMix64(7);
            for (int i = 0; i < events; i++) {
                Map<String, Object> e;
                if (i < memories) {
                    e = dict("type", "memory.write", "memory_id", "m" + i, "hdv", Hdv.random(256, i).toPacked(),
                            "ltp_strength", 0.5 + 0.5 * ((i * 37) % 100) / 100.0, "timestamp", t0 + i);
                } else {
                    e = dict("type", "memory.access", "memory_id", "m" + Long.remainderUnsigned(rnd.nextLong(), memories),
                            "timestamp", t0 + i);
                }
                workload.add(packb(e));
            }
            Map<String, String> undisturbed = run(c, redis.url(), "run:a", workload, dir.resolve("a"), null, false);
            Map<String, String> withFailures = run(c, redis.url(), "run:b", workload, dir.resolve("b"), cluster, false);
            c.sendCommand(Protocol.Command.ACL, "SETUSER", "noack", "on", ">secret", "~*", "&*", "+@all", "-xack");
            String noAckUrl = "redis://noack:secret@127.0.0.1:" + redis.port() + "/0";
            Map<String, String> failuresNoAck = run(c, noAckUrl, "run:c", workload, dir.resolve("c"), cluster, true);

            assertThat(undisturbed).hasSize(memories);
            long accesses = undisturbed.values().stream().mapToLong(v -> Long.parseLong(v.split("\\|")[1])).sum();
            assertThat(accesses).isEqualTo(events - memories);
            assertThat(withFailures).isEqualTo(undisturbed);
            assertThat(failuresNoAck).isEqualTo(undisturbed);
            // In the no-XACK run every entry stays pending, and the first one was read again by
            // each recovery: proof that the restarts happened and found applied entries pending.
            assertThat(RedisStreams.groupInfo(c, "run:c", "consolidation_workers").pending).isEqualTo(events);
            List<?> first = (List<?>) ((List<?>) c.sendCommand(Protocol.Command.XPENDING, "run:c", "consolidation_workers",
                    "-", "+", "1")).get(0);
            assertThat((Long) first.get(3)).as("deliveries of the first entry").isGreaterThanOrEqualTo(4L);
        }
    }

    /** Streams the workload in at about 10,000 events/s while the job runs; kills a TaskManager at 3 points. */
    private Map<String, String> run(JedisPooled c, String url, String stream, List<byte[]> workload, Path dir,
                                    MiniCluster killer, boolean noAck) throws Exception {
        JobSettings s = JobTestSupport.settings(url, "haim.dimensionality=256", "haim.redis.stream_key=" + stream,
                "haim.redis.transitions_stream=" + stream + ":log", "haim.job.checkpoint_interval_ms=500",
                "haim.codec.max_event_bytes=4096");
        JobClient job = JobTestSupport.start(s, 2);
        Thread producer = new Thread(() -> {
            for (int from = 0; from < workload.size(); from += 1000) {
                try (Pipeline p = c.pipelined()) {
                    for (int i = from; i < Math.min(workload.size(), from + 1000); i++) {
                        p.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                                Map.of("data".getBytes(StandardCharsets.UTF_8), workload.get(i)));
                    }
                    p.sync();
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "producer-" + stream);
        producer.start();
        if (killer != null) {
            for (long threshold : new long[] {20_000, 45_000, 70_000}) {
                JobTestSupport.awaitOr(() -> "progress past " + threshold + " (" + progress(c, stream, job) + ")", 120_000,
                        () -> entriesRead(c, stream) >= threshold);
                // MiniCluster keeps terminated TaskManagers in its list, so the oldest live one is at
                // nextToKill; with two single-slot TaskManagers, both run tasks of the job.
                killer.terminateTaskManager(nextToKill++).get(60, TimeUnit.SECONDS);
                killer.startTaskManager();
            }
        }
        producer.join();
        if (noAck) {
            // Without acknowledgements "pending" never drops: wait until all is delivered, then
            // give the few in-flight records time to reach state before the savepoint.
            await(stream + " delivered", 240_000, () -> {
                RedisStreams.GroupInfo g = RedisStreams.groupInfo(c, stream, "consolidation_workers");
                return g.lag == 0 && entriesRead(c, stream) == workload.size();
            });
            Thread.sleep(3_000);
        } else {
            await(stream + " drained", 240_000, () -> drained(c, stream, "consolidation_workers")
                    && entriesRead(c, stream) == workload.size());
        }
        return SavepointInspector.memories(stopWithSavepoint(job, dir));
    }

    /** Where a stalled run stands: the group's counters and the job's status. */
    static String progress(JedisPooled c, String stream, JobClient job) {
        String status;
        try {
            status = String.valueOf(job.getJobStatus().get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            status = "unknown (" + e + ")";
        }
        try {
            RedisStreams.GroupInfo g = RedisStreams.groupInfo(c, stream, "consolidation_workers");
            return "entries read " + g.entriesRead + ", lag " + g.lag + ", pending " + g.pending + ", stream length "
                    + c.xlen(stream) + ", job " + status;
        } catch (RuntimeException e) {
            return "group unreadable (" + e.getMessage() + "), job " + status;
        }
    }

    static long entriesRead(JedisPooled c, String stream) {
        try {
            return RedisStreams.groupInfo(c, stream, "consolidation_workers").entriesRead;
        } catch (RuntimeException e) {
            return 0; // group not created yet
        }
    }


}
