package io.mnemocore.operators.query;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * How much of a core one real-time query path thread may take: at most {@code share} of any
 * {@code window} of its busy time; past that it sleeps for the rest of the window (longer when
 * one element ran past it). A thread under SCHED_FIFO runs ahead of every normal thread for as
 * long as it has work. For one query that is what we want; for a backlog it is not: before the
 * JIT had compiled the search loop, the HOT index's two threads each needed several times the
 * CPU a query, took both cores of a 2-core machine, and left the compiler threads the 5% that the
 * kernel keeps for normal threads, so the loop was never compiled and queries waited seconds
 * (README, Figures, "Fifteenth pass"). The sleeps let the rest of the machine go on (the
 * compilers, the concurrent GC, Redis, the bulk path) while a backlog drains a little slower; a
 * thread that blocks between queries never reaches the limit. While a JIT compiler thread waits for
 * a CPU ({@link CompilerWatch}) the share is lower: the fifth of each core that the budget leaves is
 * shared with the rest of the job, and at 1,000 queries/s on 2 cores the compiler got too little of
 * it to compile the search loop in 40 s.
 *
 * <p>Checked at element boundaries ({@link QueryPathPriority#pace()}), so one element's work is
 * never cut. Reads the thread's CPU clock only where a limit can have been reached (the second
 * half of a window) and when a window ends, and the compiler threads' state only when the thread
 * has used half the window; otherwise a call costs one {@link System#nanoTime()}.
 */
final class RealtimeBudget {
    /**
     * The defaults of {@code haim.search.realtime_budget_window_ms}, {@code realtime_budget_share}
     * and {@code realtime_budget_share_compiling}. Short enough that a starved thread waits at most
     * this long, long enough to spare the clocks.
     */
    static final long WINDOW_NS = 50_000_000L;
    /** Of each window at least a fifth is left to the threads that are not real-time. */
    static final double SHARE = 0.8;
    /** And half while the JIT waits to compile: until it has, the query path runs slow code. */
    static final double SHARE_WHILE_COMPILING = 0.5;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final long windowNs;
    private final double share;
    private final double compilingShare;
    /** The least CPU in a window that can be over either share. */
    private final long checkNs;
    private final BooleanSupplier compiling;
    private final LongSupplier wallNs;
    private final LongSupplier cpuNs;
    private final LongConsumer sleepNs;
    private long windowStart;
    private long cpuAtStart;
    private boolean started;
    /** When the thread last reached an element boundary (its wall clock); read by {@link RealtimeGuard}. */
    private volatile long pacedAt = Long.MIN_VALUE;
    /**
     * The real-time priority the thread is to take at its next element boundary, 0 while it has it:
     * taken by {@link RealtimeGuard}, or not yet given ({@link QueryPathPriority#applyFromFirstElement}).
     */
    private volatile int demotedFrom;

    /** The calling thread's budget, on its own clocks. */
    RealtimeBudget(long windowNs, double share, double compilingShare) {
        this(windowNs, share, compilingShare, System::nanoTime, THREADS::getCurrentThreadCpuTime, CompilerWatch.JVM,
                LockSupport::parkNanos);
    }

    RealtimeBudget(long windowNs, double share, double compilingShare, LongSupplier wallNs, LongSupplier cpuNs,
                   BooleanSupplier compiling, LongConsumer sleepNs) {
        if (windowNs <= 0 || !(share > 0 && share <= 1) || !(compilingShare > 0 && compilingShare <= 1)) {
            throw new IllegalArgumentException("window must be positive and shares in (0, 1], got " + windowNs + ", " + share
                    + ", " + compilingShare);
        }
        this.windowNs = windowNs;
        this.share = share;
        this.compilingShare = compilingShare;
        this.checkNs = (long) (windowNs * Math.min(share, compilingShare));
        this.compiling = compiling;
        this.wallNs = wallNs;
        this.cpuNs = cpuNs;
        this.sleepNs = sleepNs;
    }

    /**
     * Sleeps when the thread has used its share of the window: long enough that its CPU time since
     * the window opened is the share of the wall time, i.e. the rest of the window, or more where
     * one element ran past the window's end (the JIT not yet done with the search loop, a huge
     * scan): a thread whose every element outlasts the window must not escape the limit.
     *
     * @return whether it slept
     */
    boolean pace() {
        long now = wallNs.getAsLong();
        pacedAt = now;
        if (!started) {
            restart(now);
            return false;
        }
        long elapsed = now - windowStart;
        if (elapsed < checkNs) {
            return false; // it cannot have used more CPU than wall time
        }
        long used = cpuNs.getAsLong() - cpuAtStart;
        if (used >= checkNs) {
            // Only a thread this busy asks whether the compiler waits (a few small reads).
            double s = compiling.getAsBoolean() ? compilingShare : share;
            long owed = (long) (used / s) - elapsed;
            if (used >= (long) (windowNs * s) && owed > 0) {
                sleepNs.accept(owed);
                restart(wallNs.getAsLong());
                return true;
            }
        }
        if (elapsed >= windowNs) {
            // A new window from this call: time the thread spent blocked before it costs nothing.
            restart(now);
        }
        return false;
    }

    /** Whether the thread reached an element boundary at or after {@code wallNs}. */
    boolean pacedSince(long wallNs) {
        return pacedAt >= wallNs;
    }

    /** The thread runs under the normal policy and is to run real-time at {@code priority} from its next boundary. */
    void markDemoted(int priority) {
        demotedFrom = priority;
    }

    boolean demoted() {
        return demotedFrom != 0;
    }

    /** The priority to take back, once: 0 when the thread was not demoted. */
    int takeBackPriority() {
        int p = demotedFrom;
        if (p != 0) {
            demotedFrom = 0;
        }
        return p;
    }

    long windowNs() {
        return windowNs;
    }

    double share(boolean whileCompiling) {
        return whileCompiling ? compilingShare : share;
    }

    private void restart(long now) {
        started = true;
        windowStart = now;
        cpuAtStart = cpuNs.getAsLong();
    }
}
