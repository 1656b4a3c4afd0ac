package io.mnemocore.operators.tier;

import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.sink.FlushDeadline;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import io.mnemocore.operators.metrics.ScaledHistogram;

/**
 * Applies the consolidator's tier updates to the WARM store: a memory entering WARM is upserted
 * (vector, payload, LTP facts), one leaving it (to HOT, COLD or deleted) is deleted. Chained to the
 * consolidator, so each memory's updates arrive in order.
 *
 * <p>Updates are buffered (the last one per point wins) and written in batches: when a batch is
 * full, the upserts {@code maxDelayMs} after the first of them (a memory that leaves HOT is out of
 * the HOT index at once, and must not stay unsearchable until the next checkpoint), and always before a
 * checkpoint barrier passes ({@code flush}): a checkpoint completes only once the store holds
 * everything before it. A write that fails after the store's own retries fails the checkpoint and
 * the job restarts from the last one; upserts and deletes are idempotent, so the replay is safe.
 */
public final class WarmTierSink implements Sink<Transition> {
    private static final long serialVersionUID = 1L;

    private final WarmTierSpec spec;
    private final int batchSize;
    private final long maxDelayMs;

    /** @param maxDelayMs the longest an update waits before its batch is written; 0 or less: until full or a checkpoint */
    public WarmTierSink(WarmTierSpec spec, int batchSize, long maxDelayMs) {
        this.spec = spec;
        this.batchSize = batchSize;
        this.maxDelayMs = maxDelayMs;
    }

    /** Whether a transition changes what WARM holds: a memory entering it (with its vector) or leaving it. */
    static boolean concernsWarm(Transition t) {
        return entersWarm(t) || (t.fromTier == Tier.WARM && t.toTier != Tier.WARM);
    }

    private static boolean entersWarm(Transition t) {
        return t.toTier == Tier.WARM && t.hdv != null;
    }

    /** The store operation a transition implies, or null when WARM is not involved. */
    static WarmTier.Op opFor(Transition t) {
        if (entersWarm(t)) {
            return WarmTier.Op.upsert(WarmPoint.of(t));
        }
        return concernsWarm(t) ? WarmTier.Op.delete(t.tenant, t.memoryId) : null;
    }

    @Override
    public SinkWriter<Transition> createWriter(WriterInitContext context) throws IOException {
        var g = context.metricGroup();
        return new Writer(spec.open(), batchSize, context.getProcessingTimeService(), maxDelayMs,
                g.addGroup("op", "upsert").counter("haim_warm_writes_total"), g.addGroup("op", "delete").counter("haim_warm_writes_total"),
                g.histogram("haim_warm_flush_seconds", new ScaledHistogram(1_000, 1e-9)));
    }

    static final class Writer implements SinkWriter<Transition> {
        private final WarmTier store;
        private final int batchSize;
        private final Map<UUID, WarmTier.Op> pending = new LinkedHashMap<>();
        private final Counter upserts;
        private final Counter deletes;
        private final Histogram flushSeconds;
        private final FlushDeadline deadline;

        Writer(WarmTier store, int batchSize, ProcessingTimeService time, long maxDelayMs, Counter upserts, Counter deletes,
               Histogram flushSeconds) {
            this.store = store;
            this.batchSize = batchSize;
            this.upserts = upserts;
            this.deletes = deletes;
            this.flushSeconds = flushSeconds;
            this.deadline = new FlushDeadline(time, maxDelayMs, this::writeEntering);
        }

        @Override
        public void write(Transition t, Context context) throws IOException {
            WarmTier.Op op = opFor(t);
            if (op == null) {
                return;
            }
            UUID id = op.id();
            pending.remove(id); // re-inserted at the end: its position is that of its last update
            pending.put(id, op);
            if (pending.size() >= batchSize) {
                write();
            } else if (op.point != null) {
                deadline.arm();
            }
        }

        /**
         * The deadline's flush: the memories entering WARM, which left the HOT index at once. A
         * memory leaving WARM stays there until the batch is full or a checkpoint comes: a query's
         * merge prefers its HOT copy, and when it is promoted that copy may still be on its way to
         * the HOT index (deleted at once, it was in neither tier for a moment).
         */
        private void writeEntering() throws IOException {
            List<WarmTier.Op> ops = new ArrayList<>();
            for (WarmTier.Op op : pending.values()) {
                if (op.point != null) {
                    ops.add(op);
                }
            }
            apply(ops);
            for (WarmTier.Op op : ops) {
                pending.remove(op.id());
            }
        }

        /** Before every checkpoint barrier: everything so far written and made durable. */
        @Override
        public void flush(boolean endOfInput) throws IOException {
            write();
            store.sync();
        }

        private void write() throws IOException {
            apply(new ArrayList<>(pending.values()));
            pending.clear();
        }

        private void apply(List<WarmTier.Op> ops) throws IOException {
            if (ops.isEmpty()) {
                return;
            }
            long t0 = System.nanoTime();
            store.apply(ops);
            flushSeconds.update(System.nanoTime() - t0);
            for (WarmTier.Op op : ops) {
                (op.point == null ? deletes : upserts).inc();
            }
        }

        @Override
        public void close() throws Exception {
            store.close();
        }
    }
}
