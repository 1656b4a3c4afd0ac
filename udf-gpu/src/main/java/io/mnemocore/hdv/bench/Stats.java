package io.mnemocore.hdv.bench;

import java.util.Arrays;

/** Percentiles (nearest rank) over measured samples. */
public final class Stats {
    private Stats() {}

    public static double percentile(double[] samples, double p) {
        if (samples.length == 0) {
            return Double.NaN;
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }

    public static String fmt(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        return String.format(java.util.Locale.ROOT, "%.4f", v);
    }
}
