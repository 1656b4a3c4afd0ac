package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mnemocore.hdv.encode.EncoderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each query path operator raises its task thread (a harness runs on the test thread): its Java
 * priority when it opens, and with a real-time priority its scheduling policy from its first
 * element on.
 */
class QueryPathPriorityTest {
    private static final int SCHED_OTHER = 0;
    private int before;

    @BeforeEach
    void lower() {
        before = Thread.currentThread().getPriority();
        Thread.currentThread().setPriority(Thread.NORM_PRIORITY);
    }

    @AfterEach
    void restore() throws Exception {
        Thread.currentThread().setPriority(before);
        QueryPathPriority.forgetBudget();
        if (scheduler()[0] != SCHED_OTHER) {
            // The test thread goes on to run other tests: back to the normal policy.
            Process p = new ProcessBuilder("chrt", "--other", "--pid", "0", tid()).inheritIO().start();
            assertThat(p.waitFor()).isZero();
            assertThat(scheduler()[0]).isEqualTo(SCHED_OTHER);
        }
    }

    @Test
    void theHotIndexRaisesItsThread() throws Exception {
        try (HotIndexTest.Pipeline p = HotIndexTest.pipeline(HotIndexTest.index(false).withPriority(new QueryPathPriority(9, 0)))) {
            assertThat(Thread.currentThread().getPriority()).isEqualTo(9);
        }
    }

    @Test
    void theMergerRaisesItsChainsThread() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new QueryMerger(2_000).withPriority(new QueryPathPriority(8, 0)), 128, 1, 0)) {
            h.open();
            assertThat(Thread.currentThread().getPriority()).isEqualTo(8);
        }
    }

    @Test
    void theQueryPreparerRaisesItsSourcesThread() throws Exception {
        QueryPreparer p = new QueryPreparer(new EncoderSpec("ngram", 1024, 42, 3, "all-minilm-l6-v2"))
                .withPriority(new QueryPathPriority(7, 0));
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(p)) {
            assertThat(Thread.currentThread().getPriority()).isEqualTo(7);
        }
    }

    @Test
    void normalLeavesTheThreadAlone() throws Exception {
        Thread.currentThread().setPriority(3);
        try (var h = new OneInputStreamOperatorTestHarness<>(new QueryMerger(2_000), 128, 1, 0)) {
            h.open();
            assertThat(Thread.currentThread().getPriority()).isEqualTo(3);
        }
        assertThat(scheduler()[0]).isEqualTo(SCHED_OTHER);
    }

    /**
     * Where the process may (root, or CAP_SYS_NICE, as in this project's CI), the thread runs
     * SCHED_FIFO from its first element on; what it does after open before that is start-up, at
     * the normal policy.
     */
    @Test
    void aRealtimePriorityPutsTheThreadUnderSchedFifo() throws Exception {
        assumeTrue(maySetRealtime(), "this process may not set real-time priorities (no CAP_SYS_NICE)");
        try (var h = new OneInputStreamOperatorTestHarness<>(new QueryMerger(2_000).withPriority(new QueryPathPriority(10, 3)), 128, 1, 0)) {
            h.open();
            assertThat(scheduler()).containsExactly(SCHED_OTHER, 0);
            assertThat(Thread.currentThread().getPriority()).isEqualTo(10);
            h.processElement(QueryMergerTest.part(QueryMergerTest.query("q", 1), 0, 2), 0);
            assertThat(scheduler()).containsExactly(QueryPathPriority.SCHED_FIFO, 3);
        }
        // The threads it starts do not inherit the policy (Flink's snapshot threads are among them)...
        AtomicReference<int[]> child = new AtomicReference<>();
        Thread t = new Thread(() -> child.set(schedulerOrNull()));
        t.start();
        t.join();
        assertThat(child.get()).containsExactly(SCHED_OTHER, 0);
        // ...but those made by its thread factory (the WARM fallback's pool) take it themselves, at their first boundary.
        Thread pooled = new QueryPathPriority(10, 2).threads("pooled").newThread(() -> {
            QueryPathPriority.pace();
            child.set(schedulerOrNull());
        });
        assertThat(pooled.isDaemon()).isTrue();
        pooled.start();
        pooled.join();
        assertThat(child.get()).containsExactly(QueryPathPriority.SCHED_FIFO, 2);
        // A thread that already runs so is left alone (no second chrt), and reports success.
        assertThat(QueryPathPriority.makeRealtime(2, "/nonexistent/chrt")).isNull();
    }

    /**
     * A real-time thread with a backlog of work leaves the core to the rest of the machine for a
     * fifth of each 50 ms window ({@link RealtimeBudget}); a normal thread's pace costs nothing.
     */
    @Test
    void aBusyRealtimeThreadSleepsForItsBudget() throws Exception {
        long wallStart = System.nanoTime();
        for (int i = 0; i < 1_000; i++) {
            assertThat(QueryPathPriority.pace()).isFalse();
        }
        assumeTrue(maySetRealtime(), "this process may not set real-time priorities (no CAP_SYS_NICE)");
        new QueryPathPriority(10, 1).apply();
        assertThat(scheduler()[0]).isEqualTo(QueryPathPriority.SCHED_FIFO);
        var cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = cpu.getCurrentThreadCpuTime();
        wallStart = System.nanoTime();
        int sleeps = 0;
        long sink = 0;
        while (System.nanoTime() - wallStart < 400_000_000L) {
            for (int j = 0; j < 10_000; j++) {
                sink += Long.bitCount(sink * 31 + j);
            }
            if (QueryPathPriority.pace()) {
                sleeps++;
            }
        }
        double share = (cpu.getCurrentThreadCpuTime() - cpu0) / (double) (System.nanoTime() - wallStart);
        // 400 ms are eight windows; the first sleep comes after 40 ms of CPU at the earliest.
        assertThat(sleeps).as("sleeps (sink %d)", sink).isBetween(4, 8);
        assertThat(share).isLessThan(0.9);
    }

    /**
     * The guard looks from one real-time priority above the threads it watches, and the
     * {@code chrt} it starts inherits that (no reset-on-fork): a guard at the normal policy got no
     * CPU while two real-time threads spun inside the JVM on both cores.
     */
    @Test
    void theGuardRunsRealtimeAboveTheThreadsItWatches() throws Exception {
        assumeTrue(maySetRealtime(), "this process may not set real-time priorities (no CAP_SYS_NICE)");
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread watched = new Thread(() -> {
            new QueryPathPriority(Thread.NORM_PRIORITY, 1).apply();
            try {
                done.await(); // alive, so that the guard goes on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "watched-realtime");
        watched.start();
        try {
            String guard = null;
            int[] policy = null;
            for (int i = 0; i < 500 && (policy == null || policy[0] != QueryPathPriority.SCHED_FIFO); i++) {
                LockSupport.parkNanos(10_000_000L);
                guard = threadNamed("realtime-guard");
                policy = guard == null ? null : QueryPathPriority.schedulerOf(guard);
            }
            assertThat(policy).as("the guard's policy").isNotNull();
            assertThat(policy[0]).isEqualTo(QueryPathPriority.SCHED_FIFO);
            assertThat(policy[1]).isGreaterThanOrEqualTo(2);
            Process p = new ProcessBuilder("chrt", "--pid", guard).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor();
            assertThat(said).contains("SCHED_FIFO").doesNotContain("RESET_ON_FORK");
        } finally {
            done.countDown();
            watched.join();
        }
    }

    /** The kernel thread id of this process's thread named {@code name}, or null. */
    private static String threadNamed(String name) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).trim().equals(name)) {
                        return t.getFileName().toString();
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return null;
    }

    /**
     * A real-time thread that spins without reaching an element boundary (as a task thread can in
     * Flink's input gate) is put back under the normal policy by {@link RealtimeGuard} within a
     * few check periods, and takes its real-time priority back at its next boundary.
     */
    @Test
    void aRealtimeThreadSpinningOutsideItsElementsGoesBackToNormalUntilItsNextBoundary() throws Exception {
        assumeTrue(maySetRealtime(), "this process may not set real-time priorities (no CAP_SYS_NICE)");
        AtomicReference<int[]> spinning = new AtomicReference<>();
        AtomicReference<int[]> paced = new AtomicReference<>();
        Thread t = new Thread(() -> {
            new QueryPathPriority(Thread.NORM_PRIORITY, 1).apply();
            long start = System.nanoTime();
            long sink = 0;
            int[] s = schedulerOrNull();
            while (s != null && s[0] == QueryPathPriority.SCHED_FIFO && System.nanoTime() - start < 10_000_000_000L) {
                for (int j = 0; j < 100_000; j++) {
                    sink += Long.bitCount(sink * 31 + j);
                }
                s = schedulerOrNull();
            }
            spinning.set(s);
            // The guard marks the budget just after its chrt returns: boundaries until it has.
            for (int i = 0; i < 500 && (s == null || s[0] != QueryPathPriority.SCHED_FIFO); i++) {
                QueryPathPriority.pace();
                LockSupport.parkNanos(10_000_000L);
                s = schedulerOrNull();
            }
            paced.set(s);
        }, "spinning-realtime");
        t.start();
        t.join();
        assertThat(spinning.get()).as("policy after spinning (up to 10 s)").containsExactly(SCHED_OTHER, 0);
        assertThat(paced.get()).as("policy after the next boundaries").containsExactly(QueryPathPriority.SCHED_FIFO, 1);
    }

    /** Refused, the thread keeps its policy and the caller learns why; the operator then only logs it. */
    @Test
    void aRefusedRealtimePrioritySaysWhyAndChangesNothing() throws Exception {
        assertThat(QueryPathPriority.makeRealtime(1, "/nonexistent/chrt")).contains("/nonexistent/chrt");
        assertThat(QueryPathPriority.makeRealtime(1, "false")).isEqualTo("false exited 1");
        assertThat(scheduler()[0]).isEqualTo(SCHED_OTHER);
        try (var h = new OneInputStreamOperatorTestHarness<>(new QueryMerger(2_000), 128, 1, 0)) {
            h.open(); // NORMAL: no real-time attempt at all
        }
        assertThat(scheduler()[0]).isEqualTo(SCHED_OTHER);
    }

    /** A process's privileges do not change: after one refusal no other thread starts chrt again. */
    @Test
    void theFirstRefusalIsRemembered(@TempDir Path dir) throws Exception {
        Path calls = dir.resolve("calls");
        Path chrt = dir.resolve("refusing-chrt");
        Files.writeString(chrt, "#!/bin/sh\necho called >> '" + calls + "'\nexit 1\n");
        assertThat(chrt.toFile().setExecutable(true)).isTrue();
        QueryPathPriority realtime = new QueryPathPriority(5, 1);
        AtomicReference<Boolean> pacedRealtime = new AtomicReference<>();
        try {
            // A thread waiting for its first element to go real-time when the refusal comes...
            realtime.applyFromFirstElement();
            realtime.apply(chrt.toString());
            realtime.apply(chrt.toString());
            Thread other = new Thread(() -> realtime.apply(chrt.toString()));
            other.start();
            other.join();
            assertThat(Files.readAllLines(calls)).hasSize(1);
            assertThat(scheduler()[0]).isEqualTo(SCHED_OTHER);
            // ...goes on as a normal thread without a budget: its boundaries neither try again nor sleep.
            for (int i = 0; i < 3; i++) {
                assertThat(QueryPathPriority.pace()).isFalse();
            }
            assertThat(scheduler()[0]).isEqualTo(SCHED_OTHER);
            // And one that opens after it does not wait for a first element at all.
            Thread later = new Thread(() -> {
                realtime.applyFromFirstElement();
                pacedRealtime.set(QueryPathPriority.pace() || schedulerOrNull()[0] != SCHED_OTHER);
            });
            later.start();
            later.join();
            assertThat(pacedRealtime.get()).isFalse();
        } finally {
            QueryPathPriority.forgetRefusal();
        }
    }

    @Test
    void onlyJavaAndRealtimePrioritiesAreAccepted() {
        assertThatThrownBy(() -> new QueryPathPriority(0, 0)).hasMessageContaining("1..10, got 0");
        assertThatThrownBy(() -> new QueryPathPriority(11, 0)).hasMessageContaining("1..10, got 11");
        assertThatThrownBy(() -> new QueryPathPriority(10, 100)).hasMessageContaining("0 (off) or 1..99, got 100");
        assertThatThrownBy(() -> new QueryPathPriority(10, -1)).hasMessageContaining("got -1");
        assertThatThrownBy(() -> new QueryMerger(2_000).withPriority(null)).isInstanceOf(NullPointerException.class);
        assertThat(new QueryPathPriority(9, 4).withoutRealtime()).isEqualTo(new QueryPathPriority(9, 0));
    }

    /** haim.search.realtime_budget_*: the budget each real-time thread gets, kept without the real-time priority too. */
    @Test
    void theRealtimeBudgetIsTheConfiguredOne() {
        RealtimeBudget defaults = new QueryPathPriority(10, 1).budget();
        assertThat(defaults.windowNs()).isEqualTo(50_000_000L);
        assertThat(defaults.share(false)).isEqualTo(0.8);
        assertThat(defaults.share(true)).isEqualTo(0.5);
        QueryPathPriority tuned = new QueryPathPriority(10, 1, 20, 0.6, 0.3);
        assertThat(tuned.budget().windowNs()).isEqualTo(20_000_000L);
        assertThat(tuned.budget().share(false)).isEqualTo(0.6);
        assertThat(tuned.budget().share(true)).isEqualTo(0.3);
        assertThat(tuned.withoutRealtime()).isEqualTo(new QueryPathPriority(10, 0, 20, 0.6, 0.3));
        assertThatThrownBy(() -> new QueryPathPriority(10, 1, 0, 0.6, 0.3)).hasMessageContaining("positive window");
        assertThatThrownBy(() -> new QueryPathPriority(10, 1, 20, 1.2, 0.3)).hasMessageContaining("got 20 ms, 1.2, 0.3");
        assertThatThrownBy(() -> new QueryPathPriority(10, 1, 20, 0.6, 0)).hasMessageContaining("shares in (0, 1]");
    }

    private static String tid() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
    }

    private static int[] scheduler() throws IOException {
        return QueryPathPriority.schedulerOf(tid());
    }

    private static int[] schedulerOrNull() {
        try {
            return scheduler();
        } catch (IOException e) {
            return null;
        }
    }

    /** CAP_SYS_NICE (bit 23) in the effective set, and chrt on the PATH. */
    static boolean maySetRealtime() throws IOException {
        String caps = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("CapEff:")).findFirst().orElse("CapEff:\t0").substring(7).trim();
        boolean nice = (Long.parseUnsignedLong(caps, 16) & (1L << 23)) != 0;
        boolean chrt = Files.isExecutable(Path.of("/usr/bin/chrt")) || Files.isExecutable(Path.of("/bin/chrt"));
        return nice && chrt;
    }

    /** The query path's helpers run at the normal priority whoever starts them, and their thread ends when idle. */
    @Test
    void aNormalWorkerRunsAtTheNormalPriorityAndEndsWhenIdle() throws Exception {
        var worker = QueryPathPriority.normalWorker("test-worker", 100);
        var ran = new java.util.concurrent.atomic.AtomicReference<Thread>();
        var priority = new java.util.concurrent.atomic.AtomicInteger();
        Thread starter = new Thread(() -> worker.execute(() -> {
            ran.set(Thread.currentThread());
            priority.set(Thread.currentThread().getPriority());
        }));
        starter.setPriority(Thread.MAX_PRIORITY);
        starter.start();
        starter.join();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (ran.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(ran.get()).isNotNull();
        assertThat(ran.get().getName()).isEqualTo("test-worker");
        assertThat(priority.get()).isEqualTo(Thread.NORM_PRIORITY);
        ran.get().join(5_000);
        assertThat(ran.get().isAlive()).as("idle for 100 ms, the thread ended").isFalse();
        worker.shutdown();
    }
}
