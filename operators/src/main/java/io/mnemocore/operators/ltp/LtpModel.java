package io.mnemocore.operators.ltp;

import java.io.Serializable;

/**
 * Long-term potentiation, as pure arithmetic (no Flink, no clock).
 *
 * <ul>
 *   <li>Strength decays exponentially: S(t) = S0 · 2^(−(t − t0)/h), computed lazily from the last
 *       update, never by polling.</li>
 *   <li>n accesses reinforce it: S ← 1 − (1 − S)(1 − η)^n, i.e. S += η(1 − S) per access, and grow
 *       the half-life: h ← min(h_max, h · g).</li>
 *   <li>HOT while S ≥ hot; WARM while S ≥ warm, or until the memory has also been idle for the
 *       archive age; then COLD. An access promotes WARM → HOT only at S ≥ hot + hysteresis, so a
 *       memory near the threshold does not flap.</li>
 *   <li>The next transition time is solved analytically, so one timer per memory suffices.</li>
 * </ul>
 */
public final class LtpModel implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LtpParams p;

    public LtpModel(LtpParams p) {
        this.p = p;
    }

    public LtpParams params() {
        return p;
    }

    public double strengthAt(double s0, long t0, double halfLifeMs, long t) {
        if (t <= t0) {
            return s0;
        }
        return s0 * Math.pow(2.0, -(t - t0) / halfLifeMs);
    }

    public double reinforce(double s, int accesses) {
        return 1.0 - (1.0 - s) * Math.pow(1.0 - p.reinforcement, Math.max(1, accesses));
    }

    public double grownHalfLife(double halfLifeMs) {
        return Math.min(p.maxHalfLifeMs, halfLifeMs * p.halfLifeGrowth);
    }

    /** The tier a memory of strength s enters when written. Weak memories start WARM, never COLD. */
    public Tier tierOnWrite(double s) {
        return s >= p.hotMin ? Tier.HOT : Tier.WARM;
    }

    /** Whether an accessed WARM memory at strength s moves to HOT. */
    public boolean promotes(double s) {
        return s >= p.hotMin + p.hysteresis;
    }

    /** First millisecond at which S has fallen strictly below {@code target}. */
    public long timeBelow(double s0, long t0, double halfLifeMs, double target) {
        if (s0 < target) {
            return t0;
        }
        if (target <= 0) {
            return Long.MAX_VALUE;
        }
        double dt = halfLifeMs * (Math.log(s0 / target) / Math.log(2.0));
        long t = t0 + (long) Math.floor(dt) + 1;
        // Guard against rounding: step forward until the strength really is below.
        while (strengthAt(s0, t0, halfLifeMs, t) >= target) {
            t++;
        }
        return t;
    }

    /** When a memory in {@code tier} next changes tier by itself, or Long.MAX_VALUE if never. */
    public long nextTransitionAt(Tier tier, double s0, long t0, double halfLifeMs, long lastAccessMs) {
        switch (tier) {
            case HOT:
                return timeBelow(s0, t0, halfLifeMs, p.hotMin);
            case WARM:
                long weak = timeBelow(s0, t0, halfLifeMs, p.warmMin);
                long idle = lastAccessMs + (long) Math.ceil(p.archiveAfterMs);
                return Math.max(weak, idle);
            default:
                return Long.MAX_VALUE;
        }
    }
}
