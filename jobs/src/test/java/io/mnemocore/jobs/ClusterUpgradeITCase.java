package io.mnemocore.jobs;

import static io.mnemocore.jobs.FaultToleranceITCase.drained;
import static io.mnemocore.jobs.FaultToleranceITCase.entriesRead;
import static io.mnemocore.jobs.JobTestSupport.await;
import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.jobs.cluster.ClusterCommands;
import io.mnemocore.jobs.cluster.FlinkRest;
import io.mnemocore.jobs.cluster.LocalCluster;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.XAddParams;

/**
 * The upgrade path users take, on a real multi-process session cluster started from the Maven
 * jars, with the shaded job jar uploaded over REST: submit at parallelism 1, write, stop with a
 * savepoint, resubmit from it at parallelism 2, write more, stop again. Every memory's final
 * state must equal that of one undisturbed run of the same events, and memories the second
 * phase did not touch must be exactly as the first savepoint left them.
 */
class ClusterUpgradeITCase {
    static final String STREAM = "up:bus";
    static final int WRITES_1 = 2_000, ACCESSES_1 = 6_000, WRITES_2 = 1_000, ACCESSES_2 = 4_000;

    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static RedisServer redis;
    static String metricsPorts;

    @BeforeAll
    static void startCluster() throws Exception {
        redis = RedisServer.start(dir.resolve("redis"), false);
        LocalCluster.Options o = new LocalCluster.Options();
        o.dir = dir.resolve("cluster");
        o.classpathFile = Path.of("..", "cluster", "target", "flink-classpath.txt");
        o.restPort = RedisServer.freePort();
        o.rpcPort = RedisServer.freePort();
        o.queryableStateProxyPort = RedisServer.freePort();
        o.queryableStateServerPort = RedisServer.freePort();
        metricsPorts = RedisServer.freePort() + "," + RedisServer.freePort();
        o.metricsPorts = metricsPorts;
        o.slots = 2;
        cluster = LocalCluster.start(o);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.stop();
        }
        if (redis != null) {
            redis.close();
        }
    }

    static List<String> jobArgs(String stream) {
        List<String> args = new ArrayList<>();
        for (String kv : JobTestSupport.sets(redis.url(), settings(stream))) {
            args.add("--set");
            args.add(kv);
        }
        return args;
    }

    static String[] settings(String stream) {
        return new String[] {"haim.dimensionality=256", "haim.codec.max_event_bytes=4096", "haim.redis.stream_key=" + stream,
                "haim.redis.transitions_stream=" + stream + ":log", "haim.job.checkpoint_interval_ms=500"};
    }

    /** Phase 1 writes m0..m1999 and accesses them; phase 2 writes m2000..m2999 and accesses only m1000 and up. */
    static List<byte[]> workload(long t0) {
        List<byte[]> events = new ArrayList<>();
        SplitMix64 rnd = new SplitMix64(11);
        long t = t0;
        for (int i = 0; i < WRITES_1; i++) {
            events.add(write(i, t++));
        }
        for (int i = 0; i < ACCESSES_1; i++) {
            events.add(access(Long.remainderUnsigned(rnd.nextLong(), WRITES_1), t++));
        }
        for (int i = WRITES_1; i < WRITES_1 + WRITES_2; i++) {
            events.add(write(i, t++));
        }
        for (int i = 0; i < ACCESSES_2; i++) {
            events.add(access(1_000 + Long.remainderUnsigned(rnd.nextLong(), WRITES_1 + WRITES_2 - 1_000), t++));
        }
        return events;
    }

    static byte[] write(int i, long ts) {
        return packb(dict("type", "memory.write", "memory_id", "m" + i, "hdv", Hdv.random(256, i).toPacked(),
                "ltp_strength", 0.5 + 0.5 * ((i * 37) % 100) / 100.0, "timestamp", ts));
    }

    static byte[] access(long i, long ts) {
        return packb(dict("type", "memory.access", "memory_id", "m" + i, "timestamp", ts));
    }

    static void send(JedisPooled c, String stream, List<byte[]> events) {
        try (Pipeline p = c.pipelined()) {
            for (byte[] e : events) {
                p.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(),
                        Map.of("data".getBytes(StandardCharsets.UTF_8), e));
            }
            p.sync();
        }
    }

    @Test
    void submitStopRescaleResubmitKeepsEveryMemory() throws Exception {
        // Event time follows the wall clock once the stream idles, so payload timestamps must be now-ish.
        List<byte[]> events = workload(System.currentTimeMillis());
        int phase1 = WRITES_1 + ACCESSES_1;
        FlinkRest rest = cluster.rest();
        String jar = rest.uploadJar(ClusterCommands.jobJar(Path.of("target")));
        String sp = dir.resolve("savepoints").toUri().toString();
        try (JedisPooled c = redis.client()) {
            String job1 = rest.runJar(jar, MnemoCoreJob.class.getName(), jobArgs(STREAM), 1, null);
            rest.awaitRunning(job1, Duration.ofMinutes(3));
            send(c, STREAM, events.subList(0, phase1));
            await("phase 1 drained", 180_000, () -> entriesRead(c, STREAM) == phase1 && drained(c, STREAM, "consolidation_workers"));
            // A query for a tenant with no memories: it is searched and answered, and no hit feeds back.
            JobTestSupport.send(c, "haim:queries", packb(dict("type", "query", "tenant", "probe", "query_id", "probe-1",
                    "hdv", Hdv.random(256, 1).toPacked(), "reply_to", "up:replies")));
            await("probe reply", 60_000, () -> c.xlen("up:replies") == 1);
            await("probe acknowledged", 60_000, () -> drained(c, "haim:queries", "consolidation_workers"));
            checkMetricsOfTheRunningJob();
            String sp1 = rest.stopWithSavepoint(job1, sp, Duration.ofMinutes(3));
            Map<String, String> afterPhase1 = SavepointInspector.memories(sp1);
            assertThat(afterPhase1).hasSize(WRITES_1);
            assertThat(accessSum(afterPhase1)).isEqualTo(ACCESSES_1);

            String job2 = rest.runJar(jar, MnemoCoreJob.class.getName(), jobArgs(STREAM), 2, sp1);
            rest.awaitRunning(job2, Duration.ofMinutes(3));
            assertThat(rest.jobState(job1)).isEqualTo("FINISHED");
            send(c, STREAM, events.subList(phase1, events.size()));
            await("phase 2 drained", 180_000,
                    () -> entriesRead(c, STREAM) == events.size() && drained(c, STREAM, "consolidation_workers"));
            Map<String, String> fin = SavepointInspector.memories(rest.stopWithSavepoint(job2, sp, Duration.ofMinutes(3)));

            // Phase 2 touched none of m0..m999: the restore must hand them over unchanged.
            for (int i = 0; i < 1_000; i++) {
                assertThat(fin.get("default/m" + i)).as("m" + i).isEqualTo(afterPhase1.get("default/m" + i));
            }
            assertThat(fin).isEqualTo(undisturbedRun(c, events));
            assertThat(c.xlen("haim:dlq")).isZero();
        }
    }

    static final String OP = "flink_taskmanager_job_task_operator_";

    /**
     * Scrapes the JobManager's and the TaskManager's Prometheus endpoints, as a Prometheus server
     * would, after phase 1 (2,000 writes, 6,000 accesses) is applied: the blueprint's metrics and
     * the operational ones carry these events' counts, and every metric the Grafana dashboard
     * queries exists under that exact name.
     */
    private void checkMetricsOfTheRunningJob() throws Exception {
        List<String> urls = new ArrayList<>();
        for (String port : metricsPorts.split(",")) {
            urls.add("http://127.0.0.1:" + port + "/metrics");
        }
        // The source samples its group's lag every 5 s, so the last sample may predate the drain.
        long deadline = System.currentTimeMillis() + 30_000;
        PrometheusScrape m = PrometheusScrape.of(urls);
        while (m.sum(OP + "haim_source_group_lag") != 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            m = PrometheusScrape.of(urls);
        }
        // The reporter writes label values with "_" for ".": type="memory_write".
        assertThat(m.sum(OP + "type_haim_events_in_total", l -> "memory_write".equals(l.get("type")))).isEqualTo(WRITES_1);
        assertThat(m.sum(OP + "type_haim_events_in_total", l -> "memory_access".equals(l.get("type")))).isEqualTo(ACCESSES_1);
        assertThat(m.sum(OP + "tier_haim_memory_writes_total")).isEqualTo(WRITES_1);
        assertThat(m.sum(OP + "tier_cache_hit_haim_memory_reads_total")).isEqualTo(ACCESSES_1);
        assertThat(m.sum(OP + "tier_cache_hit_haim_memory_reads_total", l -> "hot".equals(l.get("tier"))))
                .isEqualTo(m.sum(OP + "tier_cache_hit_haim_memory_reads_total", l -> "true".equals(l.get("cache_hit"))));
        assertThat(m.sum(OP + "tier_haim_active_memories")).isEqualTo(WRITES_1);
        assertThat(m.sum(OP + "haim_dlq_total")).isZero();
        assertThat(m.sum(OP + "haim_source_group_lag")).isZero();
        assertThat(m.sum(OP + "haim_source_acked_total")).as("both sources: the bus and the probe query")
                .isEqualTo(WRITES_1 + ACCESSES_1 + 1);
        assertThat(m.sum(OP + "haim_ltp_strength_count")).isEqualTo(WRITES_1 + ACCESSES_1);
        assertThat(m.all(OP + "haim_ltp_strength")).isNotEmpty()
                .allSatisfy(s -> assertThat(s.value()).isBetween(0.0, 1.0));
        assertThat(m.names()).contains(OP + "from_tier_to_tier_haim_consolidation_duration_seconds_count");
        assertThat(m.sum("flink_jobmanager_job_numberOfCompletedCheckpoints")).isGreaterThanOrEqualTo(1);
        assertThat(m.sum("flink_jobmanager_job_lastCheckpointDuration")).isPositive();
        assertThat(m.sum(OP + "tier_haim_search_latency_seconds_count", l -> "hot".equals(l.get("tier")))).isEqualTo(1);
        assertThat(m.all(OP + "tier_haim_search_latency_seconds")).isNotEmpty()
                .allSatisfy(s -> assertThat(s.value()).isBetween(0.0, 1.0));
        assertThat(m.sum(OP + "haim_queries_total")).isEqualTo(1);
        // A handful of memories is scanned exactly: nothing to widen, but the counter is exported.
        assertThat(m.names()).contains(OP + "haim_search_widened_total");
        assertThat(m.sum(OP + "haim_search_widened_total")).isZero();
        assertThat(PrometheusScrape.dashboardMetrics()).isSubsetOf(m.names());
    }

    @Test
    void clusterLogsAreOneJsonObjectPerLine() throws Exception {
        org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper json =
                new org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper();
        for (String name : List.of("jobmanager.log", "taskmanager.log")) {
            List<String> lines = java.nio.file.Files.readAllLines(cluster.dir().resolve("log").resolve(name));
            assertThat(lines).as(name).hasSizeGreaterThan(10);
            for (String line : lines) {
                assertThat(json.readTree(line).path("message").isTextual()).as(line).isTrue();
            }
        }
    }

    /** The same events through one uninterrupted in-process run: the state nothing went wrong in. */
    private static Map<String, String> undisturbedRun(JedisPooled c, List<byte[]> events) throws Exception {
        String stream = "ref:bus";
        JobClient job = JobTestSupport.start(JobTestSupport.settings(redis.url(), settings(stream)), 2);
        send(c, stream, events);
        await("reference drained", 180_000,
                () -> entriesRead(c, stream) == events.size() && drained(c, stream, "consolidation_workers"));
        String path = job.stopWithSavepoint(false, dir.resolve("ref-sp").toUri().toString(), SavepointFormatType.CANONICAL)
                .get(120, TimeUnit.SECONDS);
        Map<String, String> state = SavepointInspector.memories(path);
        assertThat(state).hasSize(WRITES_1 + WRITES_2);
        assertThat(accessSum(state)).isEqualTo(ACCESSES_1 + ACCESSES_2);
        return state;
    }

    static long accessSum(Map<String, String> state) {
        return state.values().stream().mapToLong(v -> Long.parseLong(v.split("\\|")[1])).sum();
    }

}
