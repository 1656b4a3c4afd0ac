package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.jobs.StallProbe.Interval;
import io.mnemocore.operators.query.QueryPathPriority;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code bench query} attributes its slow replies: GC pauses, late wake-ups of a probe thread, checkpoints. */
class StallProbeTest {

    @Test
    void aFullGcIsSeenAsAPauseAndAsALateWakeUpOfTheProbe() throws Exception {
        // Enough live objects that the full collection below takes well over the 2 ms the probe records.
        List<Object> live = new ArrayList<>();
        for (int i = 0; i < 2_000_000; i++) {
            live.add(new long[] {i});
        }
        List<Interval> pauses;
        List<Interval> stalls;
        long before = System.currentTimeMillis();
        try (StallProbe probe = new StallProbe(QueryPathPriority.NORMAL)) {
            Thread.sleep(50); // the probe is parked in its 1 ms sleeps
            System.gc();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (probe.pauses().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10); // notifications arrive on a JMX thread, after the pause
            }
            Thread.sleep(20);
            pauses = probe.pauses();
            stalls = probe.stalls();
        }
        long after = System.currentTimeMillis();
        assertThat(live).hasSize(2_000_000);
        assertThat(pauses).isNotEmpty();
        Interval full = pauses.stream().max((a, b) -> Double.compare(a.ms(), b.ms())).orElseThrow();
        assertThat(full.startMs()).isBetween(before - 1000, after);
        assertThat(full.ms()).isGreaterThanOrEqualTo(2);
        // The probe slept through the collection: a late wake-up overlapping it was recorded.
        assertThat(stalls).anyMatch(s -> s.overlaps(full.startMs(), full.endMs()));
    }

    @Test
    void eachSlowReplyIsCountedOnceByItsFirstCause() {
        List<Interval> pauses = List.of(new Interval(1_000, 1_012));
        // 2_000: a stall outside GC; 1_005: a late wake-up inside the GC pause (not a stall of its own).
        List<Interval> stalls = List.of(new Interval(1_005, 1_013), new Interval(2_000, 2_015));
        long[] sent = {995, 1_990, 5_100, 8_000, 9_000, 1_001};
        double[] latency = {20, 30, 25, 40, 3, 9.5};
        // A checkpoint trigger at 5_000 with a 2 s window: the third and fifth queries were sent in it.
        boolean[] near = {false, false, true, false, true, false};
        StallProbe.Causes c = StallProbe.Causes.of(sent, latency, 10, pauses, stalls, near);
        assertThat(c.slow).isEqualTo(4); // 9_000 (3 ms) and 1_001 (9.5 ms) are within the target
        assertThat(c.gc).isEqualTo(1); // sent 995, waiting until 1_015: the pause
        assertThat(c.stall).isEqualTo(1); // sent 1_990: the stall at 2_000
        assertThat(c.checkpoint).isEqualTo(1); // sent 5_100, 100 ms after the trigger
        assertThat(c.other).isEqualTo(1); // sent 8_000
    }

    @Test
    void stallsInsideGcPausesAreLeftOutOfTheStallSummary() {
        List<Interval> pauses = List.of(new Interval(100, 120));
        List<Interval> stalls = List.of(new Interval(105, 121), new Interval(500, 507), new Interval(1_040, 1_062),
                new Interval(1_600, 1_603), new Interval(2_100, 2_112));
        String s = StallProbe.describeStalls(stalls, pauses, 0, 3_000);
        // 500 (7 ms), 1_040 (22 ms) and 2_100 (12 ms); 105 is inside the pause, 1_600 under 5 ms.
        assertThat(s).isEqualTo("3 over 5 ms (2 over 10 ms, longest 22 ms, median gap 1060 ms)");
        assertThat(StallProbe.describePauses(pauses, 0, 3_000)).isEqualTo("1 (mean 20.0 ms, longest 20 ms)");
        assertThat(StallProbe.describeStalls(stalls, pauses, 3_000, 4_000)).isEqualTo("0 over 5 ms (0 over 10 ms, longest 0 ms, median gap n/a ms)");
    }
}
