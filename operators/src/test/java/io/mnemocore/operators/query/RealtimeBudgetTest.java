package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The budget's arithmetic on made-up clocks: a 50 ms window, 80% of it (40 ms of CPU) allowed, 50%
 * while the JIT's compiler waits.
 */
class RealtimeBudgetTest {
    private static final long MS = 1_000_000L;

    private long wall = 1_000 * MS;
    private long cpu = 7 * MS;
    private boolean compiling;
    private final List<Long> slept = new ArrayList<>();
    private final RealtimeBudget budget = new RealtimeBudget(50 * MS, 0.8, 0.5, () -> wall, () -> cpu, () -> compiling, ns -> {
        slept.add(ns);
        wall += ns;
    });

    /** Works for {@code wallMs} of wall time, running {@code cpuShare} of it, calling pace every millisecond. */
    private int run(int wallMs, double cpuShare) {
        int sleeps = 0;
        for (int i = 0; i < wallMs; i++) {
            wall += MS;
            cpu += (long) (cpuShare * MS);
            if (budget.pace()) {
                sleeps++;
            }
        }
        return sleeps;
    }

    @Test
    void aBusyThreadSleepsOutTheLastFifthOfEachWindow() {
        budget.pace(); // the first call opens a window
        assertThat(run(40, 1.0)).isEqualTo(1);
        assertThat(slept).containsExactly(10 * MS);
        // The next window opens after the sleep: again 40 ms of work, then 10 ms of sleep.
        assertThat(run(200, 1.0)).isEqualTo(5);
        assertThat(slept).hasSize(6).allMatch(ns -> ns == 10 * MS);
    }

    @Test
    void aThreadThatBlocksBetweenQueriesNeverSleeps() {
        budget.pace();
        assertThat(run(10_000, 0.3)).isZero(); // the HOT index at 500 queries/s uses a sixth of a core or less
        assertThat(run(10_000, 0.79)).isZero();
        assertThat(slept).isEmpty();
    }

    @Test
    void aThreadThatUsedItsShareLateInTheWindowSleepsOnlyTheRest() {
        budget.pace();
        assertThat(run(5, 0.0)).isZero(); // blocked for 5 ms: the window is still open
        assertThat(run(39, 1.0)).isZero(); // 39 ms of CPU by 44 ms, checked at every call from 40 ms
        assertThat(run(1, 1.0)).isEqualTo(1); // 40 ms of CPU by 45 ms: 5 ms of the window left
        assertThat(slept).containsExactly(5 * MS);
    }

    /** Elements that each outlast the window (the search loop before the JIT compiled it) still leave a fifth of the time. */
    @Test
    void elementsLongerThanTheWindowLeaveAFifthToo() {
        budget.pace();
        wall += 100 * MS;
        cpu += 100 * MS;
        assertThat(budget.pace()).isTrue();
        assertThat(slept).containsExactly(25 * MS); // 100 ms of CPU in 125 ms
        wall += 70 * MS;
        cpu += 60 * MS; // 60 ms of CPU in 70 ms: 75 ms owed
        assertThat(budget.pace()).isTrue();
        assertThat(slept).containsExactly(25 * MS, 5 * MS);
        wall += 70 * MS;
        cpu += 35 * MS; // under the share, and the window is over: no sleep
        assertThat(budget.pace()).isFalse();
        assertThat(slept).hasSize(2);
    }

    @Test
    void timeSpentBlockedBeforeACallCostsNothing() {
        budget.pace();
        run(30, 1.0);
        wall += 100 * MS; // idle, no CPU: the next call opens a new window
        assertThat(run(39, 1.0)).isZero();
        assertThat(slept).isEmpty();
    }

    /** At 1,000 queries/s the compiler got too little of the fifth left: while it waits, half. */
    @Test
    void whileTheCompilerWaitsABusyThreadLeavesHalf() {
        compiling = true;
        budget.pace();
        assertThat(run(25, 1.0)).isEqualTo(1);
        assertThat(slept).containsExactly(25 * MS);
        compiling = false;
        assertThat(run(40, 1.0)).isEqualTo(1);
        assertThat(slept).containsExactly(25 * MS, 10 * MS);
    }

    @Test
    void aThreadAtSixtyPercentSleepsOnlyWhileTheCompilerWaits() {
        budget.pace();
        assertThat(run(1_000, 0.6)).isZero();
        compiling = true;
        assertThat(run(1_000, 0.6)).isPositive();
        assertThat(slept).allMatch(ns -> ns > 0 && ns <= 50 * MS);
    }

    @Test
    void onlyAPositiveWindowAndSharesUpToOneAreAccepted() {
        assertThatThrownBy(() -> new RealtimeBudget(0, 0.8, 0.5, () -> 0, () -> 0, () -> false, ns -> { }))
                .hasMessageContaining("window must be positive");
        assertThatThrownBy(() -> new RealtimeBudget(MS, 0, 0.5, () -> 0, () -> 0, () -> false, ns -> { }))
                .hasMessageContaining("shares in (0, 1]");
        assertThatThrownBy(() -> new RealtimeBudget(MS, 0.8, 1.5, () -> 0, () -> 0, () -> false, ns -> { }))
                .hasMessageContaining("got 1000000, 0.8, 1.5");
    }
}
