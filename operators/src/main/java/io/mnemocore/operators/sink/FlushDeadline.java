package io.mnemocore.operators.sink;

import org.apache.flink.api.common.operators.ProcessingTimeService;

/**
 * The longest a batching sink writer keeps a record before it sends a batch that is not full.
 * Without it a trickle waits for the next checkpoint's flush: a fed-back access, an eviction
 * trigger or a memory just demoted to WARM would reach its store seconds late.
 *
 * <p>The timer runs in the task's mailbox, never beside the writer's own calls, and a flush that
 * fails there fails the task, as it would in {@code write}: nothing is dropped.
 */
public final class FlushDeadline {
    /** The writer's flush of its buffered records. */
    @FunctionalInterface
    public interface Flush {
        void flush() throws Exception;
    }

    private final ProcessingTimeService time;
    private final long maxDelayMs;
    private final Flush flush;
    /** A timer is registered and has not fired: every buffered record is covered by it. */
    private boolean armed;

    /** @param maxDelayMs 0 or less: never, only when the batch is full or a checkpoint comes */
    public FlushDeadline(ProcessingTimeService time, long maxDelayMs, Flush flush) {
        this.time = time;
        this.maxDelayMs = maxDelayMs;
        this.flush = flush;
    }

    /**
     * Call when a record the deadline covers joins the buffer: arms the timer unless it is armed
     * already, since an armed timer flushes whatever is buffered when it fires.
     */
    public void arm() {
        if (maxDelayMs > 0 && !armed) {
            armed = true;
            time.registerTimer(time.getCurrentProcessingTime() + maxDelayMs, t -> {
                armed = false;
                flush.flush();
            });
        }
    }
}
