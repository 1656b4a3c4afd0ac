package io.mnemocore.operators.query;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the query path's threads (both source chains and their fetchers, the HOT index, the merger
 * chain and the WARM fallback's pool) are scheduled ahead of the rest. Each checkpoint brings a
 * burst of work on the same cores: RocksDB flushes and file transfers, asynchronous snapshot
 * threads, the JIT compiling snapshot code; and other processes share the machine.
 *
 * <ul>
 *   <li>{@code javaPriority}: at the same OS priority the query threads queue behind that work for
 *       the length of a checkpoint; ahead of it they wait less (README, Figures, "Sixth pass"). Linux
 *       applies Java priorities only when the JVM runs with {@code -XX:ThreadPriorityPolicy=1} and may
 *       lower its nice value (root, or CAP_SYS_NICE): 10 becomes nice -5. Without that the call changes
 *       nothing but {@link Thread#getPriority()}.
 *   <li>{@code realtimePriority} (1–99, 0 = off): the thread also runs under SCHED_FIFO at that
 *       priority. A nice value only weighs the fair scheduler's shares: a woken query thread still
 *       waits for the running thread's slice, and every hand-off of a query (Redis to fetcher to task,
 *       task to index, index to merger) pays that wait on a busy machine. A real-time thread runs as
 *       soon as it is woken (README, Figures, "Fourteenth pass"). Java cannot set a scheduling policy,
 *       so the thread runs {@code chrt} on its own thread id, from its first element on
 *       ({@link #applyFromFirstElement()}); where that is refused (no CAP_SYS_NICE,
 *       no {@code chrt}, not Linux) the job goes on at the Java priority and logs one warning. Threads
 *       it starts do not inherit the policy (reset-on-fork): a task thread also starts Flink's
 *       asynchronous snapshot threads, checkpoint work that must stay behind the queries. The threads
 *       that carry queries (a source's fetchers, the WARM fallback's pool) apply it themselves. The
 *       threads block between queries, but one with a backlog would hold its core against every
 *       normal thread (the kernel left those 5% here), so each keeps a budget between elements
 *       ({@link #pace()}, {@link RealtimeBudget}). Without it, the HOT index's two threads ran the
 *       search loop before the JIT had compiled it, took both cores of a 2-core machine, and starved
 *       the compiler threads that would have made it fast: queries waited seconds (README, Figures,
 *       "Fifteenth pass"). While a compiler thread waits for a CPU the budget is half a core: above
 *       the rate the cores could serve, the fifth of each core left otherwise, shared with the rest
 *       of the job, was not enough for the compiler.
 * </ul>
 */
public record QueryPathPriority(int javaPriority, int realtimePriority, long budgetWindowMs, double budgetShare,
                                double budgetShareCompiling) implements Serializable {
    /** How every other thread runs. */
    public static final QueryPathPriority NORMAL = new QueryPathPriority(Thread.NORM_PRIORITY, 0);

    private static final Logger LOG = LoggerFactory.getLogger(QueryPathPriority.class);
    /**
     * Set at the first refusal: a process's privileges do not change, so its other query path
     * threads neither start {@code chrt} again nor warn again.
     */
    private static final AtomicBoolean REFUSED = new AtomicBoolean();
    /** The real-time policy in {@code /proc/.../stat} and sched_setscheduler(2). */
    static final int SCHED_FIFO = 1;
    /** Set on each thread that runs real-time: how much of a core it may take ({@link #pace()}). */
    private static final ThreadLocal<RealtimeBudget> BUDGET = new ThreadLocal<>();

    public QueryPathPriority {
        if (javaPriority < Thread.MIN_PRIORITY || javaPriority > Thread.MAX_PRIORITY) {
            throw new IllegalArgumentException("thread priority must be 1..10, got " + javaPriority);
        }
        if (realtimePriority < 0 || realtimePriority > 99) {
            throw new IllegalArgumentException("real-time priority must be 0 (off) or 1..99, got " + realtimePriority);
        }
        if (budgetWindowMs <= 0 || !(budgetShare > 0 && budgetShare <= 1) || !(budgetShareCompiling > 0 && budgetShareCompiling <= 1)) {
            throw new IllegalArgumentException("the real-time budget needs a positive window and shares in (0, 1], got "
                    + budgetWindowMs + " ms, " + budgetShare + ", " + budgetShareCompiling);
        }
    }

    /** With the real-time budget's defaults ({@link RealtimeBudget}: 80% of 50 ms, 50% while the JIT waits). */
    public QueryPathPriority(int javaPriority, int realtimePriority) {
        this(javaPriority, realtimePriority, RealtimeBudget.WINDOW_NS / 1_000_000L, RealtimeBudget.SHARE, RealtimeBudget.SHARE_WHILE_COMPILING);
    }

    /** Gives the calling thread this priority now; {@link #NORMAL}'s parts leave it as it is. */
    public void apply() {
        apply("chrt");
    }

    /**
     * Gives the calling thread its Java priority now and its real-time policy at its first element
     * boundary ({@link #pace()}). What a task thread does after {@code open} and before its first
     * element is start-up, not query work: opening network connections, loading classes, a WARM
     * store to open. Under SCHED_FIFO a HOT index thread spent a whole second of its start so
     * (README, Queries step 9), and a job's restart starts every query task at once; on a 2-core
     * machine that left the rest of the job, restarting too, the kernel's 5%.
     */
    public void applyFromFirstElement() {
        setJavaPriority();
        if (realtimePriority > 0 && !REFUSED.get() && BUDGET.get() == null) {
            // Not real-time yet: its first boundary makes it so, as one does after RealtimeGuard took the policy.
            RealtimeBudget b = budget();
            b.markDemoted(realtimePriority);
            BUDGET.set(b);
        }
    }

    void apply(String chrt) {
        setJavaPriority();
        goRealtime(chrt);
    }

    private void setJavaPriority() {
        if (javaPriority != Thread.NORM_PRIORITY && Thread.currentThread().getPriority() != javaPriority) {
            Thread.currentThread().setPriority(javaPriority);
        }
    }

    private void goRealtime(String chrt) {
        if (realtimePriority > 0 && !REFUSED.get()) {
            String refused = makeRealtime(realtimePriority, chrt);
            if (refused == null && BUDGET.get() == null) {
                RealtimeBudget b = budget();
                BUDGET.set(b);
                RealtimeGuard.JVM.watchCurrent(b, realtimePriority);
            }
            if (refused != null) {
                refuse(realtimePriority, refused);
            }
        }
    }

    /** The first refusal is said once and remembered: a process's privileges do not change. */
    private static void refuse(int priority, String why) {
        if (REFUSED.compareAndSet(false, true)) {
            LOG.warn("the query path runs without real-time scheduling (haim.search.realtime_priority {}): {}; "
                    + "it needs Linux, chrt (util-linux) and CAP_SYS_NICE (or root); 0 turns it off", priority, why);
        }
    }

    /**
     * Called by a real-time thread between elements: sleeps out the rest of a window when the
     * thread has used its share of it ({@link RealtimeBudget}), so that a backlog of work does not
     * starve the rest of the machine. Free for every other thread.
     *
     * @return whether the thread slept
     */
    public static boolean pace() {
        RealtimeBudget b = BUDGET.get();
        if (b == null) {
            return false;
        }
        int priority = b.takeBackPriority();
        if (priority != 0 && !toRealtime(priority, b)) {
            return false;
        }
        return b.pace();
    }

    /**
     * Puts the calling thread under SCHED_FIFO at its first element boundary, or again after
     * {@link RealtimeGuard} took the policy; refused, the thread goes on as a normal one, with no
     * budget.
     */
    private static boolean toRealtime(int priority, RealtimeBudget b) {
        String refused = REFUSED.get() ? "refused before" : makeRealtime(priority, "chrt");
        if (refused != null) {
            BUDGET.remove();
            RealtimeGuard.JVM.forget(Thread.currentThread());
            refuse(priority, refused);
            return false;
        }
        RealtimeGuard.JVM.watchCurrent(b, priority);
        return true;
    }

    /** {@link #pace()}, counting each sleep in {@code sleeps} ({@code haim_realtime_sleeps_total}). */
    public static void pace(Counter sleeps) {
        if (pace()) {
            sleeps.inc();
        }
    }

    /** For tests that set their thread back to the normal policy. */
    static void forgetBudget() {
        BUDGET.remove();
        RealtimeGuard.JVM.forget(Thread.currentThread());
    }

    /** For tests that refuse on purpose: the next thread tries again. */
    static void forgetRefusal() {
        REFUSED.set(false);
    }

    /** A real-time thread's budget, on the calling thread's clocks. */
    RealtimeBudget budget() {
        return new RealtimeBudget(budgetWindowMs * 1_000_000L, budgetShare, budgetShareCompiling);
    }

    /** The same Java priority, without the real-time one. */
    public QueryPathPriority withoutRealtime() {
        return new QueryPathPriority(javaPriority, 0, budgetWindowMs, budgetShare, budgetShareCompiling);
    }

    /**
     * Daemon threads named {@code name} that take this Java priority before their first task, and
     * its real-time policy at their first {@link #pace()} ({@link #applyFromFirstElement()}).
     */
    public ThreadFactory threads(String name) {
        return r -> {
            Thread t = new Thread(() -> {
                applyFromFirstElement();
                r.run();
            }, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * One daemon thread named {@code name} at the normal Java priority that runs tasks in turn, for
     * the query path's helpers (work taken off its real-time threads). Started by a real-time
     * thread, it would inherit that thread's Java priority, so it is set back; reset-on-fork keeps
     * its policy normal. It ends when idle for {@link #IDLE_MS}: a thread kept for good by a class
     * of the job's code would hold the job's class loader after the job ends.
     */
    static java.util.concurrent.ExecutorService normalWorker(String name) {
        return normalWorker(name, IDLE_MS);
    }

    static java.util.concurrent.ExecutorService normalWorker(String name, long idleMs) {
        var pool = new java.util.concurrent.ThreadPoolExecutor(1, 1, idleMs, TimeUnit.MILLISECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    t.setPriority(Thread.NORM_PRIORITY);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** How long a {@link #normalWorker} thread waits for work before it ends. */
    static final long IDLE_MS = 30_000;

    /**
     * Puts the calling thread under SCHED_FIFO at {@code priority}, reset on fork, with the
     * {@code chrt} command (a thread that already runs so is left alone).
     *
     * @return null when the thread runs so, or why not
     */
    static String makeRealtime(int priority, String chrt) {
        return makeRealtime(priority, chrt, true);
    }

    /**
     * As {@link #makeRealtime(int, String)}; without {@code resetOnFork} the processes the thread
     * starts run real-time too (the {@link RealtimeGuard}'s {@code chrt}, which must not wait behind
     * the threads it demotes).
     */
    static String makeRealtime(int priority, String chrt, boolean resetOnFork) {
        try {
            String tid = tid();
            int[] now = schedulerOf(tid);
            if (now[0] == SCHED_FIFO && now[1] >= priority) {
                return null;
            }
            List<String> command = new ArrayList<>(List.of(chrt, "--fifo"));
            if (resetOnFork) {
                command.add("--reset-on-fork");
            }
            command.addAll(List.of("--pid", Integer.toString(priority), tid));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return chrt + " did not finish in 10 s";
            }
            now = schedulerOf(tid);
            if (now[0] != SCHED_FIFO) {
                return chrt + " exited " + p.exitValue() + (said.isEmpty() ? "" : ": " + said);
            }
            LOG.info("query path thread '{}' (tid {}) runs SCHED_FIFO at {}", Thread.currentThread().getName(), tid, now[1]);
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The calling thread's id in the kernel. */
    static String tid() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString(); // "pid/task/tid"
    }

    /** The calling process's thread {@code tid}'s {policy, real-time priority}, from {@code /proc}. */
    static int[] schedulerOf(String tid) throws IOException {
        String stat = Files.readString(Path.of("/proc/self/task", tid, "stat"));
        // After the command name in parentheses, field 3 (state) is the first: rt_priority is field 40, policy 41.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new int[] {Integer.parseInt(f[41 - 3]), Integer.parseInt(f[40 - 3])};
    }
}
