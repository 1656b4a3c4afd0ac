package io.mnemocore.operators.ingest;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time is the Redis entry time. While entries flow, the watermark trails the newest one by
 * {@code maxDelayMs}; once a split has been idle for {@code idleMs}, the watermark follows the
 * wall clock instead, so LTP timers (decay, archiving) fire on time even when nobody writes.
 */
public final class IngestWatermarks<T> implements WatermarkGenerator<T> {
    private final long maxDelayMs;
    private final long idleMs;
    private long maxTs = Long.MIN_VALUE;
    private long lastEventWallMs = System.currentTimeMillis();
    private long lastEmitted = Long.MIN_VALUE;

    public IngestWatermarks(long maxDelayMs, long idleMs) {
        this.maxDelayMs = maxDelayMs;
        this.idleMs = idleMs;
    }

    public static <T> WatermarkStrategy<T> strategy(long maxDelayMs, long idleMs) {
        return WatermarkStrategy.forGenerator(ctx -> new IngestWatermarks<T>(maxDelayMs, idleMs));
    }

    @Override
    public void onEvent(T event, long ts, WatermarkOutput out) {
        if (ts > maxTs) {
            maxTs = ts;
        }
        lastEventWallMs = System.currentTimeMillis();
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput out) {
        long now = System.currentTimeMillis();
        long wm = maxTs == Long.MIN_VALUE ? Long.MIN_VALUE : maxTs - maxDelayMs;
        if (now - lastEventWallMs >= idleMs) {
            wm = Math.max(wm, now - maxDelayMs);
        }
        if (wm > lastEmitted) {
            lastEmitted = wm;
            out.emitWatermark(new Watermark(wm));
        }
    }
}
