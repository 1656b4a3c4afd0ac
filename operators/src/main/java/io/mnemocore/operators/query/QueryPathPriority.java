package io.mnemocore.operators.query;

/**
 * The Java priority of the query path's task threads (both source chains, the HOT index, the
 * merger chain; threads they start inherit it). Each checkpoint brings a burst of work on the same
 * cores: RocksDB flushes and file transfers, asynchronous snapshot threads, the JIT compiling
 * snapshot code. At the same OS priority the query threads queue behind it for the length of the
 * checkpoint; ahead of it they wait less (README, Figures, "Sixth pass"). Linux applies Java
 * priorities only when the JVM runs with {@code -XX:ThreadPriorityPolicy=1} and may lower its nice
 * value (root, or CAP_SYS_NICE): 10 becomes nice -5. Without that the call changes nothing but
 * {@link Thread#getPriority()}.
 */
public final class QueryPathPriority {
    /** The priority every other thread has. */
    public static final int NORMAL = Thread.NORM_PRIORITY;

    private QueryPathPriority() {}

    public static int check(int priority) {
        if (priority < Thread.MIN_PRIORITY || priority > Thread.MAX_PRIORITY) {
            throw new IllegalArgumentException("thread priority must be 1..10, got " + priority);
        }
        return priority;
    }

    /** Gives the calling thread {@code priority}; {@link #NORMAL} leaves it as it is. */
    static void apply(int priority) {
        if (priority != NORMAL && Thread.currentThread().getPriority() != priority) {
            Thread.currentThread().setPriority(priority);
        }
    }
}
