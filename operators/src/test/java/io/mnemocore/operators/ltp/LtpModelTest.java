package io.mnemocore.operators.ltp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LtpModelTest {
    static final double H = 3_600_000.0; // one hour
    static final LtpModel M = new LtpModel(new LtpParams(H, 0.3, 1.5, 100 * H, 0.7, 0.3, 0.05, 30 * 24 * H, 0.9));

    @Test
    void strengthHalvesEveryHalfLife() {
        assertThat(M.strengthAt(0.8, 0, H, 0)).isEqualTo(0.8);
        assertThat(M.strengthAt(0.8, 0, H, (long) H)).isCloseTo(0.4, within(1e-12));
        assertThat(M.strengthAt(0.8, 0, H, (long) (3 * H))).isCloseTo(0.1, within(1e-12));
        assertThat(M.strengthAt(0.8, 1000, H, 500)).isEqualTo(0.8); // no decay backwards
    }

    @Test
    void reinforcementFollowsTheBlueprintRule() {
        assertThat(M.reinforce(0.5, 1)).isCloseTo(0.5 + 0.3 * 0.5, within(1e-12));
        double twice = M.reinforce(M.reinforce(0.2, 1), 1);
        assertThat(M.reinforce(0.2, 2)).isCloseTo(twice, within(1e-12));
        assertThat(M.reinforce(1.0, 5)).isEqualTo(1.0);
        assertThat(M.reinforce(0.0, 1000)).isLessThanOrEqualTo(1.0);
        assertThat(M.grownHalfLife(H)).isEqualTo(1.5 * H);
        assertThat(M.grownHalfLife(99 * H)).isEqualTo(100 * H);
    }

    @Test
    void crossingTimeIsExactToTheMillisecond() {
        for (double s0 : new double[] {0.95, 0.9, 0.7000001, 0.71}) {
            long t = M.timeBelow(s0, 10_000, H, 0.7);
            assertThat(M.strengthAt(s0, 10_000, H, t)).isLessThan(0.7);
            assertThat(M.strengthAt(s0, 10_000, H, t - 1)).isGreaterThanOrEqualTo(0.7);
        }
        assertThat(M.timeBelow(0.5, 42, H, 0.7)).isEqualTo(42); // already below
        // Analytic: 0.9 -> 0.7 takes H * log2(0.9/0.7).
        assertThat((double) M.timeBelow(0.9, 0, H, 0.7)).isCloseTo(H * Math.log(0.9 / 0.7) / Math.log(2), within(2.0));
    }

    @Test
    void tiersFollowThresholdsWithHysteresisAndArchiveAge() {
        assertThat(M.tierOnWrite(0.9)).isEqualTo(Tier.HOT);
        assertThat(M.tierOnWrite(0.7)).isEqualTo(Tier.HOT);
        assertThat(M.tierOnWrite(0.69)).isEqualTo(Tier.WARM);
        assertThat(M.tierOnWrite(0.01)).isEqualTo(Tier.WARM);
        assertThat(M.promotes(0.72)).isFalse(); // above hot, but inside the hysteresis band
        assertThat(M.promotes(0.75)).isTrue();

        // HOT: next transition is the crossing of 0.7.
        assertThat(M.nextTransitionAt(Tier.HOT, 0.9, 0, H, 0)).isEqualTo(M.timeBelow(0.9, 0, H, 0.7));
        // WARM: archived only when both weak (< 0.3) and idle for 30 days: here idleness decides.
        long idle = (long) (30 * 24 * H);
        assertThat(M.nextTransitionAt(Tier.WARM, 0.6, 0, H, 0)).isEqualTo(idle);
        // ...and here weakness decides (a long half-life keeps it above 0.3 past 30 days).
        long weak = M.timeBelow(0.6, 0, 40 * 24 * H, 0.3);
        assertThat(M.nextTransitionAt(Tier.WARM, 0.6, 0, 40 * 24 * H, 0)).isEqualTo(weak).isGreaterThan(idle);
        assertThat(M.nextTransitionAt(Tier.COLD, 0.1, 0, H, 0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void timeScaleShortensEveryDuration() {
        LtpParams p = LtpParams.of(24, 0.3, 1.5, 365, 0.7, 0.3, 0.05, 30, 0.9, 86_400);
        assertThat(p.halfLifeMs).isEqualTo(1000.0); // a day per second: 24 h -> 1 s
        assertThat(p.archiveAfterMs).isEqualTo(30_000.0);
        assertThatThrownBy(() -> LtpParams.of(24, 0.3, 1.5, 365, 0.3, 0.7, 0.05, 30, 0.9, 1)).hasMessageContaining("below");
    }
}
