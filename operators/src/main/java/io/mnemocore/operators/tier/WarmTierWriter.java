package io.mnemocore.operators.tier;

import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import io.mnemocore.operators.metrics.ScaledHistogram;
import io.mnemocore.operators.sink.FlushDeadline;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Applies the consolidator's tier updates to the WARM store: a memory entering WARM is upserted
 * (vector, payload, LTP facts), one leaving it (to HOT, COLD or deleted) is deleted. Chained to the
 * consolidator, so each memory's updates arrive in order.
 *
 * <p>An operator, not a sink, because of what it sends on: for every departure of a memory from
 * HOT, exactly one {@link TransitionKind#WARM_STORED}, once the store holds the memory (or at once
 * when it has left WARM again before its write, or came without a vector). The HOT store keeps
 * such a memory in the HOT index until then, so a query finds it in one tier or the other at
 * every moment.
 *
 * <p>Updates are buffered (the last one per point wins) and written in batches: when a batch is
 * full, the upserts {@code maxDelayMs} after the first of them, and always before a checkpoint
 * barrier leaves this task ({@code prepareSnapshotPreBarrier}), so a checkpoint completes only once
 * the store holds everything before it. A write that fails after the store's own retries fails the
 * task and the job restarts from the last checkpoint; upserts and deletes are idempotent, so the
 * replay is safe, and no confirmation goes out for a write that failed.
 */
public final class WarmTierWriter extends AbstractStreamOperator<Transition>
        implements OneInputStreamOperator<Transition, Transition>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final WarmTierSpec spec;
    private final int batchSize;
    private final long maxDelayMs;

    private transient WarmTier store;
    private transient Map<UUID, Pending> pending;
    private transient FlushDeadline deadline;
    private transient Counter upserts;
    private transient Counter deletes;
    private transient Histogram flushSeconds;

    /** @param maxDelayMs the longest an upsert waits before its batch is written; 0 or less: until full or a checkpoint */
    public WarmTierWriter(WarmTierSpec spec, int batchSize, long maxDelayMs) {
        this.spec = spec;
        this.batchSize = batchSize;
        this.maxDelayMs = maxDelayMs;
    }

    /**
     * Whether a transition changes what WARM holds (a memory entering it with its vector, or leaving
     * it), or is a departure from HOT for WARM, which the HOT store waits to hear of.
     */
    static boolean concernsWarm(Transition t) {
        return entersWarm(t) || leavesWarm(t) || leavesHotForWarm(t);
    }

    private static boolean entersWarm(Transition t) {
        return t.toTier == Tier.WARM && t.hdv != null;
    }

    private static boolean leavesWarm(Transition t) {
        return t.fromTier == Tier.WARM && t.toTier != Tier.WARM;
    }

    private static boolean leavesHotForWarm(Transition t) {
        return t.fromTier == Tier.HOT && t.toTier == Tier.WARM;
    }

    /** The store operation a transition implies, or null when it writes nothing to WARM. */
    static WarmTier.Op opFor(Transition t) {
        if (entersWarm(t)) {
            return WarmTier.Op.upsert(WarmPoint.of(t));
        }
        return leavesWarm(t) ? WarmTier.Op.delete(t.tenant, t.memoryId) : null;
    }

    /** One buffered op, and the departure from HOT it lands (its {@code atMs}), if any. */
    private static final class Pending {
        final WarmTier.Op op;
        final Transition leftHot;

        Pending(WarmTier.Op op, Transition leftHot) {
            this.op = op;
            this.leftHot = leftHot;
        }
    }

    public int batchSize() {
        return batchSize;
    }

    public long maxDelayMs() {
        return maxDelayMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        store = spec.open();
        pending = new LinkedHashMap<>();
        deadline = new FlushDeadline(getProcessingTimeService(), maxDelayMs, this::writeEntering);
        var g = getMetricGroup();
        upserts = g.addGroup("op", "upsert").counter("haim_warm_writes_total");
        deletes = g.addGroup("op", "delete").counter("haim_warm_writes_total");
        flushSeconds = g.histogram("haim_warm_flush_seconds", new ScaledHistogram(1_000, 1e-9));
    }

    @Override
    public void processElement(StreamRecord<Transition> record) throws IOException {
        Transition t = record.getValue();
        WarmTier.Op op = opFor(t);
        if (op == null) {
            if (leavesHotForWarm(t)) {
                output.collect(new StreamRecord<>(stored(t))); // no vector to write: nothing to wait for
            }
            return;
        }
        UUID id = op.id();
        Pending before = pending.remove(id); // re-inserted at the end: its position is that of its last update
        Transition leftHot = leavesHotForWarm(t) ? stored(t) : null;
        if (before != null && before.leftHot != null) {
            if (leftHot == null && op.point != null) {
                leftHot = before.leftHot; // rewritten while WARM: the newer upsert lands the departure
            } else {
                // Gone from WARM again (to COLD, back to HOT, or deleted) before it was written: the
                // HOT store need not wait for the store, and still counts on one word per departure.
                output.collect(new StreamRecord<>(before.leftHot));
            }
        }
        pending.put(id, new Pending(op, leftHot));
        if (pending.size() >= batchSize) {
            write();
        } else if (op.point != null) {
            deadline.arm();
        }
    }

    /** The confirmation the HOT store waits for: the memory that left HOT at {@code t.atMs} is in WARM. */
    private static Transition stored(Transition t) {
        Transition c = new Transition();
        c.kind = TransitionKind.WARM_STORED;
        c.tenant = t.tenant;
        c.memoryId = t.memoryId;
        c.fromTier = Tier.HOT;
        c.toTier = Tier.WARM;
        c.atMs = t.atMs;
        return c;
    }

    /**
     * The deadline's flush: the memories entering WARM, which the HOT index gives up once they are
     * written. A memory leaving WARM stays there until the batch is full or a checkpoint comes: a
     * query's merge prefers its HOT copy, and when it is promoted that copy may still be on its way
     * to the HOT index (deleted at once, it was in neither tier for a moment).
     */
    private void writeEntering() throws IOException {
        List<Pending> entering = new ArrayList<>();
        for (Pending p : pending.values()) {
            if (p.op.point != null) {
                entering.add(p);
            }
        }
        apply(entering);
        for (Pending p : entering) {
            pending.remove(p.op.id());
        }
    }

    /** Before every checkpoint barrier: everything so far written, made durable and confirmed ahead of the barrier. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        write();
        store.sync();
    }

    @Override
    public void endInput() throws Exception {
        write();
        store.sync();
    }

    private void write() throws IOException {
        apply(new ArrayList<>(pending.values()));
        pending.clear();
    }

    private void apply(List<Pending> batch) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        List<WarmTier.Op> ops = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            ops.add(p.op);
        }
        long t0 = System.nanoTime();
        store.apply(ops);
        flushSeconds.update(System.nanoTime() - t0);
        for (Pending p : batch) {
            (p.op.point == null ? deletes : upserts).inc();
            if (p.leftHot != null) {
                output.collect(new StreamRecord<>(p.leftHot));
            }
        }
    }

    @Override
    public void close() throws Exception {
        WarmTier s = store;
        store = null; // a close that throws is not tried again by the task's clean-up
        try {
            if (s != null) {
                s.close();
            }
        } finally {
            super.close();
        }
    }
}
