package io.mnemocore.operators.ltp;

import java.io.Serializable;

/**
 * The LTP model's parameters, in (already time-scaled) milliseconds. A time scale of s makes every
 * duration s times shorter, so the demo shows a month of decay in seconds.
 */
public final class LtpParams implements Serializable {
    private static final long serialVersionUID = 1L;

    public final double halfLifeMs;
    public final double reinforcement;
    public final double halfLifeGrowth;
    public final double maxHalfLifeMs;
    public final double hotMin;
    public final double warmMin;
    public final double hysteresis;
    public final double archiveAfterMs;
    public final double initialStrength;

    public LtpParams(double halfLifeMs, double reinforcement, double halfLifeGrowth, double maxHalfLifeMs,
                     double hotMin, double warmMin, double hysteresis, double archiveAfterMs, double initialStrength) {
        if (!(warmMin < hotMin)) {
            throw new IllegalArgumentException("warm threshold " + warmMin + " must be below hot threshold " + hotMin);
        }
        if (halfLifeMs <= 0 || maxHalfLifeMs < halfLifeMs) {
            throw new IllegalArgumentException("half-life must be positive and at most the maximum half-life");
        }
        this.halfLifeMs = halfLifeMs;
        this.reinforcement = reinforcement;
        this.halfLifeGrowth = halfLifeGrowth;
        this.maxHalfLifeMs = maxHalfLifeMs;
        this.hotMin = hotMin;
        this.warmMin = warmMin;
        this.hysteresis = hysteresis;
        this.archiveAfterMs = archiveAfterMs;
        this.initialStrength = initialStrength;
    }

    /** From config units (hours, days) and a time scale. */
    public static LtpParams of(double halfLifeHours, double reinforcement, double halfLifeGrowth,
                               double maxHalfLifeDays, double hotMin, double warmMin, double hysteresis,
                               double archiveAfterDays, double initialStrength, double timeScale) {
        if (timeScale <= 0) {
            throw new IllegalArgumentException("time scale must be positive");
        }
        return new LtpParams(halfLifeHours * 3_600_000.0 / timeScale, reinforcement, halfLifeGrowth,
                maxHalfLifeDays * 86_400_000.0 / timeScale, hotMin, warmMin, hysteresis,
                archiveAfterDays * 86_400_000.0 / timeScale, initialStrength);
    }
}
