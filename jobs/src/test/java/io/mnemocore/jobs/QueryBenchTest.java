package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.testing.RedisServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.XAddParams;

/** The load figures {@code bench query} prints beside its latencies. */
class QueryBenchTest {

    @Test
    void machineAndJvmCpuCountersAdvanceWithWork() {
        long[] before = QueryBench.machineCpuTicks();
        long jvmBefore = QueryBench.jvmCpuNanos();
        assertThat(before).as("/proc/stat on Linux").isNotNull();
        assertThat(before[0]).isGreaterThan(before[1]).isGreaterThan(0);
        long sink = 0;
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) {
            sink += Long.bitCount(sink * 31 + 7);
        }
        long[] after = QueryBench.machineCpuTicks();
        long jvmAfter = QueryBench.jvmCpuNanos();
        assertThat(sink).isNotZero();
        // 300 ms of spinning: the busy (non-idle) ticks and this JVM's CPU time grew.
        assertThat((after[0] - after[1]) - (before[0] - before[1])).isGreaterThan(0);
        assertThat(jvmAfter - jvmBefore).isGreaterThan(100_000_000L);
    }

    /**
     * The scheduler's run time of every task: a thread born between the samples that spins 300 ms
     * shows up with about that much (the ticks of /proc/stat need not). It is sampled alive: a
     * thread that has ended is gone from /proc, its time with it.
     */
    @Test
    void taskRunTimeSeesEveryThreadsWork() throws Exception {
        Map<String, Long> before = QueryBench.taskRunNanos();
        assertThat(before).as("/proc/PID/task/TID/schedstat on Linux").isNotNull().isNotEmpty();
        long[] sink = new long[1];
        var spun = new java.util.concurrent.CountDownLatch(1);
        var sampled = new java.util.concurrent.CountDownLatch(1);
        Thread born = new Thread(() -> {
            long until = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < until) {
                sink[0] += Long.bitCount(sink[0] * 31 + 7);
            }
            spun.countDown();
            try {
                sampled.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        born.start();
        spun.await();
        Map<String, Long> after = QueryBench.taskRunNanos();
        sampled.countDown();
        born.join();
        assertThat(sink[0]).isNotZero();
        assertThat(QueryBench.ranSince(before, after)).isGreaterThan(250_000_000L);
        // each task's growth, one born between the samples whole: 4 + 0 + 2
        assertThat(QueryBench.ranSince(Map.of("1/1", 5L, "1/2", 7L), Map.of("1/1", 9L, "1/2", 7L, "1/3", 2L))).isEqualTo(6);
    }

    /** HotSpot keeps the JIT's compiling time; by the time a test runs it has compiled JUnit and AssertJ. */
    @Test
    void jitCompileTimeIsKeptAndNeverGoesBack() {
        long first = QueryBench.jitCompileMs();
        long sink = 0;
        for (int i = 0; i < 2_000_000; i++) {
            sink += Long.bitCount(sink * 31 + i);
        }
        assertThat(sink).isNotZero();
        assertThat(first).isPositive();
        assertThat(QueryBench.jitCompileMs()).isGreaterThanOrEqualTo(first);
    }

    /** The warm-up's cold figures: the replies to the queries sent in each second of the run, unanswered ones left out. */
    @Test
    void latenciesBySecondOfSendingLeaveOutUnansweredQueries() {
        QueryBench.Run r = new QueryBench.Run(4);
        r.sent = 4;
        r.sentNs.set(0, r.startNanos + 100_000_000L);
        r.latencyNs.set(0, 5_000_000L);
        r.sentNs.set(1, r.startNanos + 999_000_000L);
        r.latencyNs.set(1, 7_000_000L);
        r.sentNs.set(2, r.startNanos + 999_500_000L); // no reply
        r.sentNs.set(3, r.startNanos + 1_000_000_000L);
        r.latencyNs.set(3, 2_000_000L);
        assertThat(r.latenciesInSecondMs(0)).containsExactly(5.0, 7.0);
        assertThat(r.latenciesInSecondMs(1)).containsExactly(2.0);
        assertThat(r.latenciesInSecondMs(2)).isEmpty();
    }

    @Test
    void perThreadCountersNameTheThreadThatWorked() throws Exception {
        Map<String, Long> cpu0 = QueryBench.perThread(true);
        Map<String, Long> alloc0 = QueryBench.perThread(false);
        Thread worker = new Thread(() -> {
            long sink = 0;
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long until = mx.getCurrentThreadCpuTime() + 200_000_000L; // CPU, not wall time: the machine may be busy
            java.util.List<long[]> garbage = new java.util.ArrayList<>();
            while (mx.getCurrentThreadCpuTime() < until) {
                sink += Long.bitCount(sink * 31 + 7);
                garbage.add(new long[128]);
                if (garbage.size() > 1000) {
                    garbage.clear();
                }
            }
            result = sink;
            worked.countDown();
            // Stay alive until both readings are taken: a thread that ended is not listed.
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-test-worker");
        worker.start();
        worked.await();
        Map<String, Long> cpu1 = QueryBench.perThread(true);
        Map<String, Long> alloc1 = QueryBench.perThread(false);
        release.countDown();
        worker.join();
        assertThat(cpu0).isNotNull();
        // Per query of 10: the worker's 200 ms of CPU is at least 10 ms a query, and it heads both lists.
        String cpu = QueryBench.topThreads(cpu0, cpu1, 10, 1e6, 3);
        assertThat(cpu).startsWith("bench-test-worker ");
        assertThat(Double.parseDouble(cpu.split(";")[0].substring("bench-test-worker ".length()))).isGreaterThan(10);
        assertThat(QueryBench.topThreads(alloc0, alloc1, 10, 1e3, 3)).startsWith("bench-test-worker ");
    }

    @Test
    void aRunCountsEachOfItsQueriesFirstReplyOnce() {
        QueryBench.Run r = new QueryBench.Run(3);
        long t = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            r.sentNs.set(i, t + i * 1_000_000L);
            r.sent++;
        }
        assertThat(r.replied(r.idPrefix + 1, t + 5_000_000L, 4, null, 0)).isTrue();
        // At-least-once replies: a duplicate does not count again or move the latency.
        assertThat(r.replied(r.idPrefix + 1, t + 9_000_000L, 8, null, 0)).isFalse();
        // Another run's straggler, and a number this run never sent.
        assertThat(r.replied("bq1-0", t + 5_000_000L, 1, null, 0)).isFalse();
        assertThat(r.replied(r.idPrefix + 3, t + 5_000_000L, 1, null, 0)).isFalse();
        assertThat(r.replied(r.idPrefix + 0, t + 2_500_000L, 2, null, 0)).isTrue();
        assertThat(r.replies()).isEqualTo(2);
        assertThat(r.latenciesMs()).containsExactly(2.5, 4.0);
        assertThat(r.inJobMs()).containsExactly(2.0, 4.0);
    }

    @Test
    void aReplysStageTimesSplitItsLatencyAndNameTheSlowestStage() {
        // Sent at 1,000,000 us; prepared 700 us later; the slowest index subtask searched from +900
        // to +1,300; merged at +1,500; reply made at +12,000 (a WARM search); read at 13,000 us after sending.
        long[] t = QueryBench.stageTimes(1_000_000, 13_000, new long[] {1_000_700, 900, 1_300, 1_500, 12_000});
        assertThat(t).containsExactly(700, 900, 400, 200, 10_500, 300);
        assertThat(java.util.Arrays.stream(t).sum()).isEqualTo(13_000); // the stages add up to the latency
        assertThat(QueryBench.stageTimes(1, 2, null)).containsOnly(QueryBench.UNKNOWN);

        long now = System.nanoTime();
        QueryBench.Run r = sentAt(3, now, 1_000_000);
        r.replied(r.idPrefix + 0, now + 13_000_000L, 13, new long[] {1_000_700, 900, 1_300, 1_500, 12_000}, 0);
        r.replied(r.idPrefix + 1, now + 2_000_000L, 2, new long[] {1_000_100, 200, 600, 700, 800}, 0);
        r.replied(r.idPrefix + 2, now + 20_000_000L, 20, null, 0); // an older job's reply: no stages
        assertThat(r.slowByStage(10)).containsExactly(0, 0, 0, 0, 1, 0);
        double[][] ms = r.stageMs();
        assertThat(ms[4]).containsExactly(10.5, 0.1);
        assertThat(ms[5]).containsExactly(0.3, 1.1);
    }

    /** A run of {@code n} queries, all sent at {@code nanos} (System.nanoTime) and {@code epochUs} (wall clock). */
    private static QueryBench.Run sentAt(int n, long nanos, long epochUs) {
        QueryBench.Run r = new QueryBench.Run(n);
        for (int i = 0; i < n; i++) {
            r.sentNs.set(i, nanos);
            r.sentUs.set(i, epochUs);
            r.sent++;
        }
        return r;
    }

    @Test
    void redisEntryTimesSplitSourceAndBackAtRedis() {
        assertThat(QueryBench.redisMs("1712345678901-7")).isEqualTo(1712345678901L);
        assertThat(QueryBench.redisMs("*")).isZero();
        assertThat(QueryBench.redisMs("x-1")).isZero();

        // Sent at 1,000,000 us; Redis stored the query at 1,000 ms (whole ms); prepared at +700 us;
        // reply made at +12,000 us; Redis stored the reply at 1,012 ms; read 13,000 us after sending.
        long now = System.nanoTime();
        QueryBench.Run r = sentAt(2, now, 1_000_000);
        r.queryRedisMs.set(0, 1_000);
        r.replied(r.idPrefix + 0, now + 13_000_000L, 13, new long[] {1_000_700, 900, 1_300, 1_500, 12_000}, 1_012);
        r.replied(r.idPrefix + 1, now + 2_000_000L, 2, new long[] {1_000_100, 200, 600, 700, 800}, 1_001); // query's Redis time unknown
        double[][] split = r.redisSplitMs();
        assertThat(split[0]).containsExactly(0.0);
        assertThat(split[1]).containsExactly(0.7);
        assertThat(split[2]).containsExactly(-0.7); // the reply was made at 1,012.7 ms: Redis's floor reads earlier
        assertThat(split[3]).containsExactly(1.0);
        assertThat(split[4]).containsExactly(13.0); // sent at 1,000 ms, reply stored within 1,012 ms: at most 13 ms
        // The four parts add up to source (0.7 ms) and back (0.3 ms).
        assertThat(split[0][0] + split[1][0] + split[2][0] + split[3][0]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    private static volatile long result;
    private final java.util.concurrent.CountDownLatch worked = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    @Test
    void aRunWithoutRepliesSaysWhatTheDlqHolds(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            assertThat(QueryBench.unanswered(c, 500, "b:dlq")).isEqualTo("none of the 500 warm-up queries was answered; the DLQ b:dlq is empty");
            c.xadd("b:dlq", XAddParams.xAddParams(), Map.of("reason", "reserved_reply_to", "detail", "'reply_to' b is ..."));
            c.xadd("b:dlq", XAddParams.xAddParams(), Map.of("reason", "bad_id", "detail", "x"));
            assertThat(QueryBench.unanswered(c, 500, "b:dlq")).isEqualTo(
                    "none of the 500 warm-up queries was answered; the DLQ b:dlq holds 2 entries, the first: reserved_reply_to: 'reply_to' b is ...");
        }
    }
    /**
     * A stand-in responder (no job): it answers every query on the probe's query stream, and finds
     * the probe's latest write only from 150 ms after it read that write from the bus. The probe
     * must time each write from its XADD to the first reply that has it: never sooner than that.
     */
    @Test
    void theWriteProbeTimesEachWriteUntilAReplyFindsIt(@TempDir Path dir) throws Exception {
        io.mnemocore.operators.codec.EventCodec codec = new io.mnemocore.operators.codec.EventCodec(
                io.mnemocore.operators.codec.CodecLimits.defaults(16384));
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            Thread responder = new Thread(() -> {
              try {
                String busAt = "0-0", queriesAt = "0-0", latest = null;
                long readAtNs = 0;
                while (!stop.get()) {
                    for (var e : io.mnemocore.operators.redis.RedisStreams.readAfter(c, "p", busAt, 10, 1)) {
                        busAt = e.id;
                        var w = codec.decode(e.field(io.mnemocore.operators.redis.RedisStreams.DATA), e.id, null).event();
                        assertThat(w.tenant).isEqualTo(QueryBench.WriteProbe.TENANT);
                        latest = w.memoryId;
                        readAtNs = System.nanoTime();
                        writes.incrementAndGet();
                    }
                    for (var e : io.mnemocore.operators.redis.RedisStreams.readAfter(c, "p:q", queriesAt, 10, 1)) {
                        queriesAt = e.id;
                        var q = codec.decode(e.field(io.mnemocore.operators.redis.RedisStreams.DATA), e.id, null).event();
                        io.mnemocore.operators.query.QueryReply r = new io.mnemocore.operators.query.QueryReply();
                        r.queryId = q.queryId;
                        r.tenant = q.tenant;
                        r.kind = "query";
                        r.replyTo = q.replyTo;
                        r.hits = new io.mnemocore.operators.query.Hit[0];
                        r.tier = "hot";
                        r.confidence = "low";
                        if (latest != null && System.nanoTime() - readAtNs >= 150_000_000L) {
                            io.mnemocore.operators.query.Hit h = new io.mnemocore.operators.query.Hit();
                            h.memoryId = latest;
                            h.tier = "hot";
                            r.hits = new io.mnemocore.operators.query.Hit[] {h};
                        }
                        c.xadd(q.replyTo.getBytes(java.nio.charset.StandardCharsets.UTF_8), XAddParams.xAddParams(), Map.of(io.mnemocore.operators.redis.RedisStreams.DATA,
                                io.mnemocore.operators.query.ReplyCodec.encode(r)));
                    }
                }
              } catch (Throwable t) {
                failed.set(t);
              }
            });
            responder.start();
            QueryBench.WriteProbe.Result got;
            try (QueryBench.WriteProbe probe = new QueryBench.WriteProbe(new io.mnemocore.client.MnemoClient(redis.url(), "p", "p:q",
                    16384, "localhost", 0))) {
                Thread.sleep(1300);
                got = probe.finish();
            } finally {
                stop.set(true);
                responder.join();
            }
            assertThat(failed.get()).isNull();
            assertThat(got.missed).isZero();
            // Writes every 500 ms (fewer if the machine stalls); the last may still be under way when the probe stops.
            assertThat(got.found.length).isPositive().isBetween(writes.get() - 1, writes.get());
            for (double ms : got.found) {
                assertThat(ms).isGreaterThanOrEqualTo(150).isLessThan(150 + 1000);
            }
            // The stand-in answers at once: each probe's longest single ask is below its time to
            // searchable, which was the write's (its 150 ms), not a reply's. (No bound in ms: a
            // first ask of 103 ms, the client's cold start on a busy machine, failed one CI run.)
            assertThat(got.longestAsk).hasSameSizeAs(got.found);
            for (int i = 0; i < got.found.length; i++) {
                assertThat(got.longestAsk[i]).isPositive().isLessThan(got.found[i]);
            }
        }
    }
}
