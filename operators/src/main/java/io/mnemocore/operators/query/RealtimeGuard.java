package io.mnemocore.operators.query;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the real-time policy from a query path thread that stopped keeping to its budget. The
 * budget ({@link RealtimeBudget}) is kept at element boundaries, in our operators; a thread that
 * spins outside them never reaches one. Flink 2.3.0's input gate can spin so: twice a HOT index
 * thread polled a finished input gate for minutes and ignored the job's cancel (README, Known
 * gaps). Under SCHED_FIFO such a thread holds its core against every normal thread for good; two
 * of them leave a 2-core machine's normal threads (the rest of the job, its restarts, Redis) the
 * 5% the kernel keeps for them. A thread that used nearly a whole core for a check period and did
 * not reach an element boundary in it goes back to the normal policy, keeping its Java priority;
 * the next boundary it reaches makes it real-time again ({@link QueryPathPriority#pace()}), so a
 * long element (the HOT index's first search before the JIT compiled the loop) costs it only that
 * element's priority.
 *
 * <p>One guard per class loader watches the threads that went real-time and ends when none is
 * alive. Its own thread runs real-time one priority above them, without reset-on-fork, and looks
 * every 100 ms. A thread can spin inside the JVM too: at a JVM's first checkpoints both HOT index
 * threads used a second of CPU without an element boundary, and a profile caught them spinning in
 * {@code GlobalCounter::write_synchronize}; our reading: waiting for a normal thread that got no
 * CPU while they held both cores, except the 50 ms a second the kernel keeps from real-time
 * threads (README, Figures, "Twenty-seventh pass"). A guard at the normal policy
 * got no more than that thread, and its {@code chrt} no more than the guard; one above them, whose
 * {@code chrt} inherits its policy, takes a spinner's policy within a period. Where it may not run
 * real-time it looks at the normal policy, as before.
 */
final class RealtimeGuard {
    /** How often each thread is looked at: its CPU over one period decides. */
    static final long PERIOD_NS = 100_000_000L;
    /** Above every budget's share (at most 1) less the clock's slack: only a thread that never slept qualifies. */
    static final double STUCK_SHARE = 0.9;
    /**
     * Frames of a demoted thread's stack in the warning: eight showed a file read inside the JDK
     * but not which of our calls made it.
     */
    static final int FRAMES = 20;

    private static final Logger LOG = LoggerFactory.getLogger(RealtimeGuard.class);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** The guard of this class loader's real-time threads. */
    static final RealtimeGuard JVM = new RealtimeGuard(t -> THREADS.getThreadCpuTime(t.getId()), System::nanoTime,
            RealtimeGuard::toNormalPolicy);

    /** Puts a thread under the normal policy; returns null when it did, else why not. */
    interface Demoter {
        String demote(String tid);
    }

    /** A watched thread, with its CPU and the wall clock at the last look. */
    static final class Watched {
        final Thread thread;
        final String tid;
        final RealtimeBudget budget;
        long cpuAt;
        long lookedAt;
        /** The demotion was refused once already: said once, not every period. */
        boolean refusalSaid;

        Watched(Thread thread, String tid, RealtimeBudget budget) {
            this.thread = thread;
            this.tid = tid;
            this.budget = budget;
        }
    }

    private final ToLongFunction<Thread> cpuNs;
    private final LongSupplier wallNs;
    private final Demoter demoter;
    private final List<Watched> watched = new CopyOnWriteArrayList<>();
    private boolean running;
    /** One above the highest real-time priority of the threads it watches (at most 99). */
    private volatile int priority;

    RealtimeGuard(ToLongFunction<Thread> cpuNs, LongSupplier wallNs, Demoter demoter) {
        this.cpuNs = cpuNs;
        this.wallNs = wallNs;
        this.demoter = demoter;
    }

    /**
     * Watches the calling thread, which just went real-time with {@code budget} (once: a thread
     * already watched stays as it is); starts the guard's thread if none runs.
     */
    void watchCurrent(RealtimeBudget budget, int realtimePriority) {
        priority = Math.max(priority, Math.min(99, realtimePriority + 1));
        Thread self = Thread.currentThread();
        if (watched.stream().anyMatch(w -> w.thread == self)) {
            return; // back to real-time after a demotion
        }
        String tid;
        try {
            tid = QueryPathPriority.tid();
        } catch (java.io.IOException e) {
            return; // it went real-time through /proc, so this does not happen
        }
        add(Thread.currentThread(), tid, budget);
        synchronized (this) {
            if (!running) {
                running = true;
                Thread t = new Thread(this::run, "realtime-guard");
                t.setDaemon(true);
                t.setPriority(Thread.NORM_PRIORITY); // not the real-time creator's
                t.start();
            }
        }
    }

    void add(Thread thread, String tid, RealtimeBudget budget) {
        Watched w = new Watched(thread, tid, budget);
        w.cpuAt = cpuNs.applyAsLong(thread);
        w.lookedAt = wallNs.getAsLong();
        watched.add(w);
    }

    private void run() {
        int p = priority;
        String refused = p > 0 ? QueryPathPriority.makeRealtime(p, "chrt", false) : "no priority";
        if (refused != null) {
            LOG.info("the real-time guard looks at the normal policy: {}", refused);
        }
        while (true) {
            try {
                TimeUnit.NANOSECONDS.sleep(PERIOD_NS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (look() == 0) {
                    running = false; // the next watched thread starts another
                    return;
                }
            }
        }
    }

    /**
     * Looks at every watched thread once: forgets the dead, demotes the stuck.
     *
     * @return how many are still watched
     */
    int look() {
        for (Watched w : watched) {
            if (!w.thread.isAlive()) {
                watched.remove(w);
                continue;
            }
            long cpu = cpuNs.applyAsLong(w.thread);
            long now = wallNs.getAsLong();
            long busy = cpu - w.cpuAt;
            long wall = now - w.lookedAt;
            if (wall > 0 && busy >= STUCK_SHARE * wall && !w.budget.demoted() && !w.budget.pacedSince(w.lookedAt)) {
                int priority = priorityOf(w.tid);
                String refused = demoter.demote(w.tid);
                if (refused == null) {
                    w.budget.markDemoted(priority);
                    LOG.warn("query path thread '{}' (tid {}) used {} ms of CPU in {} ms without reaching an element boundary "
                            + "(a task's start-up, a spin in Flink's input gate or a wait inside the JVM); it runs at the normal policy until it reaches one "
                            + "(README, Queries step 9). It was at:{}",
                            w.thread.getName(), w.tid, busy / 1_000_000, wall / 1_000_000, frames(w.thread));
                } else if (!w.refusalSaid) {
                    w.refusalSaid = true;
                    LOG.warn("query path thread '{}' (tid {}) is stuck outside its budget but keeps its real-time policy: {}",
                            w.thread.getName(), w.tid, refused);
                }
            }
            w.cpuAt = cpu;
            w.lookedAt = now;
        }
        return watched.size();
    }

    /** Stops watching {@code thread} (a test thread set back to normal by hand). */
    void forget(Thread thread) {
        watched.removeIf(w -> w.thread == thread);
    }

    int watchedCount() {
        return watched.size();
    }

    /** The budgets of the live watched threads named {@code name} (tests). */
    List<RealtimeBudget> budgetsOf(String name) {
        return watched.stream().filter(w -> w.thread.isAlive() && w.thread.getName().equals(name)).map(w -> w.budget).toList();
    }

    /** The thread's real-time priority now, or 1 where /proc cannot say. */
    private static int priorityOf(String tid) {
        try {
            return Math.max(1, QueryPathPriority.schedulerOf(tid)[1]);
        } catch (java.io.IOException | RuntimeException e) {
            return 1;
        }
    }

    private static String frames(Thread t) {
        StringBuilder b = new StringBuilder();
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < Math.min(FRAMES, stack.length); i++) {
            b.append("\n    at ").append(stack[i]);
        }
        return b.toString();
    }

    static String toNormalPolicy(String tid) {
        try {
            Process p = new ProcessBuilder("chrt", "--other", "--pid", "0", tid).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "chrt did not finish in 10 s";
            }
            return p.exitValue() == 0 ? null : "chrt exited " + p.exitValue();
        } catch (java.io.IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
