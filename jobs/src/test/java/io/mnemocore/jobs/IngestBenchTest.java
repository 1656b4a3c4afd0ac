package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@code bench ingest}'s wait for its job: a job that outlives its input ends the bench with a reason. */
class IngestBenchTest {

    private static CompletableFuture<String> endsAfter(long ms) {
        return CompletableFuture.supplyAsync(() -> "result",
                CompletableFuture.delayedExecutor(ms, java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    @Test
    void waitsForAJobThatIsStillReadingOrEndsInTime() throws Exception {
        // Not every entry read yet: no limit, however long it takes.
        assertThat(IngestBench.awaitEnd(endsAfter(600), () -> -1L, 100, s -> true)).isEqualTo("result");
        // Every entry read: the job may still take up to the limit to end.
        long now = System.nanoTime();
        assertThat(IngestBench.awaitEnd(endsAfter(300), () -> now, 5_000, s -> true)).isEqualTo("result");
    }

    /** Stands in for the task thread of a hung job: busy, in a frame the predicate recognises. */
    private static void spinLikeAStuckGate(AtomicBoolean stop, CountDownLatch started) {
        started.countDown();
        long x = 0;
        while (!stop.get()) {
            x += System.nanoTime() & 1;
        }
        assertThat(x).isNotNegative();
    }

    @Test
    void aJobThatOutlivesItsInputEndsTheBenchWithTheBusyThreads() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Thread spinner = new Thread(() -> spinLikeAStuckGate(stop, started), "hot-index (1/2)#0");
        spinner.start();
        started.await();
        try {
            long allRead = System.nanoTime();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> IngestBench.awaitEnd(new CompletableFuture<String>(), () -> allRead, 500,
                    stack -> java.util.Arrays.stream(stack).anyMatch(f -> f.getMethodName().contains("spinLikeAStuckGate"))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("had not ended 0.5 s after it read the last entry")
                    .hasMessageContaining("\"hot-index (1/2)#0\"")
                    .hasMessageContaining("spinLikeAStuckGate")
                    .hasMessageNotContaining("\"main\"");
            assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(500);
        } finally {
            stop.set(true);
            spinner.join();
        }
        // The predicate that the bench uses picks Flink task threads only.
        assertThat(IngestBench.isFlinkTaskThread(Thread.currentThread().getStackTrace())).isFalse();
    }
}
