package io.mnemocore.jobs;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.mnemocore.operators.query.QueryPathPriority;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Tells a slow reply's cause apart for {@code bench query}: the JVM's GC pauses (from the
 * collectors' notifications) and the times a probe thread, sleeping 1 ms at a time at the query
 * path's priority (Java and real-time), woke late. A late wake-up outside a GC pause is time a
 * query-path thread would also have waited for a core: the job's own bursts (checkpoints, the
 * JIT), the machine's other work, or the machine itself stopping (on a 2-core microVM here, in
 * one traced run, for 10–25 ms every ~0.54 s while the platform's memory monitor ran; README,
 * Figures, "Ninth pass").
 */
final class StallProbe implements AutoCloseable {
    /** A wake-up this much late or more is recorded. */
    static final long RECORD_NS = 2_000_000;
    private static final long SLEEP_NS = 1_000_000;

    /** [start, end) in epoch milliseconds. */
    record Interval(long startMs, long endMs) {
        double ms() {
            return endMs - startMs;
        }

        boolean overlaps(long fromMs, long toMs) {
            return startMs <= toMs && fromMs <= endMs;
        }
    }

    private final List<Interval> stalls = new ArrayList<>();
    private final List<Interval> pauses = new ArrayList<>();
    private final Thread probe;
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener onGc = this::gc;
    private final long jvmStartMs = ManagementFactory.getRuntimeMXBean().getStartTime();
    private volatile boolean running = true;

    StallProbe(QueryPathPriority priority) {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(onGc, null, null);
                emitters.add(emitter);
            }
        }
        probe = new Thread(() -> {
            priority.apply();
            probe();
        }, "bench-stall-probe");
        probe.setDaemon(true);
        probe.start();
    }

    private void probe() {
        long wallOffsetNs = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        while (running) {
            long before = System.nanoTime();
            LockSupport.parkNanos(SLEEP_NS);
            long after = System.nanoTime();
            long late = after - before - SLEEP_NS;
            if (late >= RECORD_NS) {
                long endMs = (after + wallOffsetNs) / 1_000_000L;
                synchronized (stalls) {
                    stalls.add(new Interval(endMs - late / 1_000_000L, endMs));
                }
            }
        }
    }

    private void gc(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        // G1 (JDK 20+) and ZGC also report concurrent cycles here; only stop-the-world ones stall queries.
        if (info.getGcName().contains("Concurrent") || info.getGcCause().contains("Concurrent")) {
            return;
        }
        long start = jvmStartMs + info.getGcInfo().getStartTime();
        synchronized (pauses) {
            pauses.add(new Interval(start, start + info.getGcInfo().getDuration()));
        }
    }

    List<Interval> stalls() {
        synchronized (stalls) {
            return new ArrayList<>(stalls);
        }
    }

    List<Interval> pauses() {
        synchronized (pauses) {
            return new ArrayList<>(pauses);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        probe.join();
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(onGc);
            } catch (ListenerNotFoundException ignored) {
                // never added: nothing to remove
            }
        }
    }

    /**
     * What a reply slower than the threshold overlapped, counted once each in this order: a GC
     * pause, a probe stall outside GC, the window after a checkpoint trigger; else "other".
     */
    static final class Causes {
        int slow, gc, stall, checkpoint, other;

        /** {@code nearCheckpoint[i]}: query i was sent in the window after a checkpoint trigger. */
        static Causes of(long[] sentMs, double[] latencyMs, double thresholdMs, List<Interval> pauses, List<Interval> stalls,
                         boolean[] nearCheckpoint) {
            Causes c = new Causes();
            List<Interval> ownStalls = outsideGc(stalls, pauses);
            for (int i = 0; i < sentMs.length; i++) {
                if (latencyMs[i] <= thresholdMs) {
                    continue;
                }
                c.slow++;
                long from = sentMs[i];
                long to = sentMs[i] + (long) Math.ceil(latencyMs[i]);
                if (pauses.stream().anyMatch(p -> p.overlaps(from, to))) {
                    c.gc++;
                } else if (ownStalls.stream().anyMatch(s -> s.overlaps(from, to))) {
                    c.stall++;
                } else if (nearCheckpoint[i]) {
                    c.checkpoint++;
                } else {
                    c.other++;
                }
            }
            return c;
        }
    }

    /**
     * "n over 5 ms (m over 10 ms, longest x ms, median gap g ms)" for the stalls outside GC
     * pauses within [fromMs, toMs].
     */
    static String describeStalls(List<Interval> stalls, List<Interval> pauses, long fromMs, long toMs) {
        List<Interval> own = outsideGc(stalls, pauses).stream().filter(s -> s.overlaps(fromMs, toMs) && s.ms() > 5).toList();
        long over10 = own.stream().filter(s -> s.ms() > 10).count();
        double longest = own.stream().mapToDouble(Interval::ms).max().orElse(0);
        long[] gaps = new long[Math.max(0, own.size() - 1)];
        for (int i = 1; i < own.size(); i++) {
            gaps[i - 1] = own.get(i).startMs - own.get(i - 1).startMs;
        }
        Arrays.sort(gaps);
        String gap = gaps.length == 0 ? "n/a" : Long.toString(gaps[gaps.length / 2]);
        return String.format(Locale.ROOT, "%d over 5 ms (%d over 10 ms, longest %.0f ms, median gap %s ms)", own.size(), over10, longest, gap);
    }

    /** The late wake-ups that no GC pause explains. */
    private static List<Interval> outsideGc(List<Interval> stalls, List<Interval> pauses) {
        return stalls.stream().filter(s -> pauses.stream().noneMatch(p -> p.overlaps(s.startMs, s.endMs))).toList();
    }

    /** "n (mean x ms, longest y ms)" for the GC pauses within [fromMs, toMs]. */
    static String describePauses(List<Interval> pauses, long fromMs, long toMs) {
        double[] ms = pauses.stream().filter(p -> p.overlaps(fromMs, toMs)).mapToDouble(Interval::ms).toArray();
        return String.format(Locale.ROOT, "%d (mean %.1f ms, longest %.0f ms)", ms.length, Arrays.stream(ms).average().orElse(0),
                Arrays.stream(ms).max().orElse(0));
    }
}
