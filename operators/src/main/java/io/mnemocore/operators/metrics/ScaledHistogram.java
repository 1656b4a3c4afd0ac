package io.mnemocore.operators.metrics;

import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * A Flink histogram records longs; this one reports its quantiles and mean in a chosen unit
 * (nanoseconds recorded, seconds reported), so exported names ending in {@code _seconds} or
 * ratios in [0, 1] mean what they say. Prometheus reads quantiles, count and mean.
 */
public final class ScaledHistogram implements Histogram {
    private final DescriptiveStatisticsHistogram inner;
    private final double scale;

    /** @param scale reported value = recorded value × scale (1e-9 for nanoseconds → seconds) */
    public ScaledHistogram(int window, double scale) {
        this.inner = new DescriptiveStatisticsHistogram(window);
        this.scale = scale;
    }

    @Override
    public void update(long value) {
        inner.update(value);
    }

    @Override
    public long getCount() {
        return inner.getCount();
    }

    @Override
    public HistogramStatistics getStatistics() {
        HistogramStatistics s = inner.getStatistics();
        return new HistogramStatistics() {
            @Override
            public double getQuantile(double quantile) {
                return s.getQuantile(quantile) * scale;
            }

            @Override
            public long[] getValues() {
                return s.getValues(); // raw, unscaled: longs cannot carry the unit
            }

            @Override
            public int size() {
                return s.size();
            }

            @Override
            public double getMean() {
                return s.getMean() * scale;
            }

            @Override
            public double getStdDev() {
                return s.getStdDev() * scale;
            }

            @Override
            public long getMax() {
                return Math.round(s.getMax() * scale);
            }

            @Override
            public long getMin() {
                return Math.round(s.getMin() * scale);
            }
        };
    }
}
