package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The guard's rule on made-up clocks: a watched thread that used at least 90% of a core over a
 * check period and never reached an element boundary ({@link RealtimeBudget#pace()}) in it loses
 * its real-time policy; any other thread keeps it. The real policy change is tested in {@link
 * QueryPathPriorityTest}.
 */
class RealtimeGuardTest {
    private static final long MS = 1_000_000L;

    private long wall = 5_000 * MS;
    private long cpu = 3 * MS;
    private final List<String> demoted = new ArrayList<>();
    private String refusal;
    private final RealtimeGuard guard = new RealtimeGuard(t -> cpu, () -> wall, tid -> {
        if (refusal == null) {
            demoted.add(tid);
        }
        return refusal;
    });
    private final RealtimeBudget budget = new RealtimeBudget(50 * MS, 0.8, 0.5, () -> wall, () -> cpu, () -> false, ns -> wall += ns);

    @BeforeEach
    void watch() {
        guard.add(Thread.currentThread(), "4242", budget);
    }

    @Test
    void aThreadSpinningOutsideItsElementsIsDemotedOnceAndTakesItsPriorityBackAtTheNextBoundary() {
        wall += 1_000 * MS;
        cpu += 950 * MS;
        assertThat(guard.look()).isEqualTo(1);
        assertThat(demoted).containsExactly("4242");
        assertThat(budget.demoted()).isTrue();
        // Still spinning: already at the normal policy, nothing more to do.
        wall += 1_000 * MS;
        cpu += 1_000 * MS;
        guard.look();
        assertThat(demoted).hasSize(1);
        // No such thread in /proc here: the priority to go back to defaults to 1, and is taken once.
        assertThat(budget.takeBackPriority()).isEqualTo(1);
        assertThat(budget.takeBackPriority()).isZero();
        assertThat(budget.demoted()).isFalse();
    }

    @Test
    void aBusyThreadThatReachesElementBoundariesKeepsItsPolicy() {
        wall += 500 * MS;
        cpu += 500 * MS;
        budget.pace(); // one boundary in the period
        wall += 500 * MS;
        cpu += 490 * MS;
        guard.look();
        assertThat(demoted).isEmpty();
        // The next period has no boundary at all.
        wall += 1_000 * MS;
        cpu += 950 * MS;
        guard.look();
        assertThat(demoted).containsExactly("4242");
    }

    @Test
    void aThreadBelowNinetyPercentOfACoreKeepsItsPolicyWithoutBoundaries() {
        wall += 1_000 * MS;
        cpu += 890 * MS; // a query thread in a long element that sleeps or blocks a little
        guard.look();
        wall += 1_000 * MS; // blocked waiting for queries
        guard.look();
        assertThat(demoted).isEmpty();
        assertThat(budget.demoted()).isFalse();
    }

    @Test
    void aRefusedDemotionLeavesTheThreadMarkedRealtime() {
        refusal = "chrt exited 1";
        wall += 1_000 * MS;
        cpu += 1_000 * MS;
        guard.look();
        assertThat(budget.demoted()).isFalse();
        assertThat(budget.takeBackPriority()).isZero();
    }

    @Test
    void endedThreadsAreForgottenAndTheGuardStopsWithTheLast() throws Exception {
        Thread done = new Thread(() -> { });
        done.start();
        done.join();
        guard.add(done, "4243", budget);
        assertThat(guard.watchedCount()).isEqualTo(2);
        assertThat(guard.look()).isEqualTo(1);
        guard.forget(Thread.currentThread());
        assertThat(guard.look()).isZero();
    }
}
