package io.mnemocore.operators.ltp;

import io.mnemocore.hdv.encode.EncoderSpec;
import io.mnemocore.hdv.encode.TextEncoder;
import io.mnemocore.operators.codec.EventCodec;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.edge.EdgeTypes;
import io.mnemocore.operators.ingest.DlqRecord;
import io.mnemocore.operators.ingest.EventRouter;
import io.mnemocore.operators.metrics.ScaledHistogram;
import io.mnemocore.operators.query.ContextAccess;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keeps every memory's LTP state (keyed by tenant/memory_id, RocksDB in production) and decides
 * its tier. Strength is computed lazily from the last update; one event-time timer per memory
 * sits at the analytically computed next transition, so nothing polls. Transitions go out as
 * typed {@link Transition}s (facts on the main output, with content on {@link #TIER_UPDATES});
 * accesses to unknown memories go to the {@link #REJECTED} side output.
 *
 * <p>State and timers are checkpointed together, so after a restore every transition happens once:
 * a timer that already fired is gone from the restored state, one that had not is still there.
 */
public final class LtpConsolidator extends KeyedProcessFunction<String, MemoryEvent, Transition> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DlqRecord> REJECTED = new OutputTag<>("rejected") {};
    /**
     * Changes of HOT membership for the HOT index: the vector and payload of a memory entering
     * HOT, the facts alone of one leaving it. The main output carries every transition without
     * vectors (the audit log and the tier ledger need only the facts); the tier stores get theirs
     * on {@code TierRouter}'s outputs. 2 KB vectors go over the network only where they are used.
     */
    public static final OutputTag<Transition> HOT_UPDATES = new OutputTag<>("hot-updates", EdgeTypes.TRANSITION);
    /**
     * The LTP facts of accesses that kept a memory HOT, for the HOT index. Apart from
     * {@link #HOT_UPDATES} so that the job can ship adds and removals at once while thousands of
     * touches a second (every query hit) still travel in full buffers; the two edges do not keep
     * one memory's order, so the HOT store drops a touch of a memory it no longer holds and one
     * older than the facts it has.
     */
    public static final OutputTag<Transition> HOT_TOUCHES = new OutputTag<>("hot-touches", EdgeTypes.TRANSITION);
    public static final String STATE_NAME = "memory";
    /**
     * Uses of memories in contexts, for active inference: every access that names a context_id,
     * and every delete (sent to the memory's own context). Ids only: no vector is read for them.
     */
    public static final OutputTag<ContextAccess> CONTEXT_ACCESSES = new OutputTag<>("context-accesses") {};

    private final LtpModel model;
    private final EncoderSpec encoderSpec;
    private final EventCodec codec;
    private final int rowsPerArchive;
    /**
     * The open archive batch per tenant of this subtask (see {@code ColdArchive}): dropped at every
     * checkpoint, so a batch's rows all reach the archive sinks before one barrier.
     */
    private transient Map<String, ArchiveBatch> batches;
    private transient java.util.SplittableRandom batchIds;
    private transient Map<String, Counter> restores;
    private transient TextEncoder encoder;
    private transient ValueState<MemoryState> state;
    private transient ValueState<MemoryContent> content;
    /** The current key's content once read or written during this event/timer: emit must not re-read it. */
    private transient MemoryContent contentNow;
    private transient boolean contentKnown;
    private transient Map<Tier, Counter> writes;
    private transient Map<TransitionKind, Counter> transitions;
    private transient Histogram strengths;
    private transient Map<Tier, Counter> reads;
    /** Per (from, to) tier: time the operator spent applying a tier change, in seconds. */
    private transient Map<String, Histogram> consolidationSeconds;
    /** Start of the event or timer being handled: state read to emit is the consolidation time. */
    private transient long opStartNanos;
    private transient Counter rewrites;
    private transient Counter rejected;
    private transient Map<String, Counter> prewarms;
    /** Accumulators (job-level totals) that let a bounded run check nothing was lost or doubled. */
    private transient LongCounter createdTotal;
    private transient LongCounter rewrittenTotal;
    public static final String ACC_CREATED = "memories-created";
    public static final String ACC_REWRITTEN = "memories-rewritten";

    /**
     * @param encoderSpec encodes the text of writes that carry no HDV; done here, after the keyBy,
     *     so the work spreads over all subtasks while each memory's events stay in order
     * @param codec re-encodes rejected events, so the DLQ keeps their content
     */
    public LtpConsolidator(LtpModel model, EncoderSpec encoderSpec, EventCodec codec) {
        this(model, encoderSpec, codec, 4096);
    }

    /** @param rowsPerArchive most rows per archive batch (one .npy file); bounds the archive writer's buffer */
    public LtpConsolidator(LtpModel model, EncoderSpec encoderSpec, EventCodec codec, int rowsPerArchive) {
        this.model = model;
        this.encoderSpec = encoderSpec;
        this.codec = codec;
        this.rowsPerArchive = rowsPerArchive;
    }

    private static final class ArchiveBatch {
        final String date;
        final String id;
        int rows;

        ArchiveBatch(String date, String id) {
            this.date = date;
            this.id = id;
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) {
        // Nothing to restore: open batches never outlive a checkpoint.
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        batches.clear();
    }

    /** Also queryable (Flink queryable state), under the same name, keyed by "tenant/memory_id". */
    public static ValueStateDescriptor<MemoryContent> contentDescriptor() {
        return new ValueStateDescriptor<>("memory-content", MemoryContent.class);
    }

    public static ValueStateDescriptor<MemoryState> stateDescriptor() {
        ValueStateDescriptor<MemoryState> d = new ValueStateDescriptor<>(STATE_NAME, MemoryStateSerializer.INSTANCE);
        d.setQueryable(STATE_NAME);
        return d;
    }

    @Override
    public void open(OpenContext ctx) {
        state = getRuntimeContext().getState(stateDescriptor());
        content = getRuntimeContext().getState(contentDescriptor());
        var metrics = getRuntimeContext().getMetricGroup();
        writes = new EnumMap<>(Tier.class);
        for (Tier t : Tier.values()) {
            writes.put(t, metrics.addGroup("tier", t.name().toLowerCase()).counter("haim_memory_writes_total"));
        }
        transitions = new EnumMap<>(TransitionKind.class);
        for (TransitionKind k : TransitionKind.values()) {
            if (k == TransitionKind.WARM_STORED) {
                continue; // the WARM writer's, never the consolidator's
            }
            transitions.put(k, metrics.addGroup("kind", k.name().toLowerCase()).counter("haim_transitions_total"));
        }
        // Recorded in thousandths, reported as the strength itself (0..1).
        strengths = metrics.histogram("haim_ltp_strength", new ScaledHistogram(10_000, 1e-3));
        reads = new EnumMap<>(Tier.class);
        for (Tier t : Tier.values()) {
            reads.put(t, metrics.addGroup("tier", t.name().toLowerCase()).addGroup("cache_hit", Boolean.toString(t == Tier.HOT))
                    .counter("haim_memory_reads_total"));
        }
        consolidationSeconds = new HashMap<>();
        for (Tier from : Tier.values()) {
            for (Tier to : Tier.values()) {
                if (from != to) {
                    consolidationSeconds.put(from + ">" + to, metrics.addGroup("from_tier", from.name().toLowerCase())
                            .addGroup("to_tier", to.name().toLowerCase())
                            .histogram("haim_consolidation_duration_seconds", new ScaledHistogram(1_000, 1e-9)));
                }
            }
        }
        rewrites = metrics.counter("haim_memory_rewrites_total");
        restores = new HashMap<>();
        for (String outcome : new String[] {"restored", "stale", "unknown"}) {
            restores.put(outcome, metrics.addGroup("outcome", outcome).counter("haim_rehydrations_total"));
        }
        batches = new HashMap<>();
        batchIds = new java.util.SplittableRandom(System.nanoTime() ^ ((long) getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() << 48));
        rejected = metrics.counter("haim_dlq_total");
        prewarms = new HashMap<>();
        for (String outcome : new String[] {"to_hot", "touched", "rehydrating", "too_weak", "unknown"}) {
            prewarms.put(outcome, metrics.addGroup("outcome", outcome).counter("haim_prewarms_total"));
        }
        createdTotal = new LongCounter();
        rewrittenTotal = new LongCounter();
        getRuntimeContext().addAccumulator(ACC_CREATED, createdTotal);
        getRuntimeContext().addAccumulator(ACC_REWRITTEN, rewrittenTotal);
    }


    @Override
    public void processElement(MemoryEvent e, Context ctx, Collector<Transition> out) throws Exception {
        opStartNanos = System.nanoTime();
        contentKnown = false;
        MemoryState s = separateContent(state.value());
        long now = s == null ? e.timestamp : Math.max(e.timestamp, s.updatedMs);
        if (s != null) {
            // Apply what the timer would have done by now, so the result does not depend on
            // whether the watermark reached this subtask before or after this event.
            while (s.timerMs <= now) {
                advance(s, s.timerMs, ctx, out);
            }
        }
        if (e.type == EventType.MEMORY_WRITE && e.hdv == null) {
            if (encoder == null) {
                encoder = encoderSpec.create(); // lazily: the MiniLM model loads only if text arrives
            }
            e.hdv = encoder.encode(e.text, e.contextId).words();
        }
        switch (e.type) {
            case MEMORY_WRITE:
                s = write(e, s, now, ctx, out);
                break;
            case MEMORY_ACCESS:
                if (s == null) {
                    reject(e, ctx, "memory.access for a memory that does not exist (or was deleted)");
                    return;
                }
                access(s, e, now, ctx, out);
                break;
            case MEMORY_DELETE:
                if (s != null) {
                    emit(out, ctx, s, TransitionKind.DELETED, s.tier, null, now, "delete", false);
                    if (s.contextId != null) {
                        ctx.output(CONTEXT_ACCESSES, new ContextAccess(
                                EventRouter.tenantOf(ctx.getCurrentKey()), s.contextId, EventRouter.memoryIdOf(ctx.getCurrentKey()), now, true));
                    }
                    if (s.timerMs != Long.MAX_VALUE) {
                        ctx.timerService().deleteEventTimeTimer(s.timerMs);
                    }
                    state.clear();
                    clearContent();
                }
                return;
            case MEMORY_RESTORE:
                s = restore(e, s, now, ctx, out);
                if (s == null) {
                    return;
                }
                break;
            case CONSOLIDATION_TRIGGER:
                if (s == null && "prewarm".equals(e.tier)) {
                    prewarms.get("unknown").inc(); // a prediction may name a memory deleted since: not an error
                    return;
                }
                if (s == null) {
                    reject(e, ctx, "consolidation.trigger names a memory that does not exist (or was deleted)");
                    return;
                }
                trigger(s, e.tier, now, ctx, out);
                break;
            default:
                throw new IllegalArgumentException("the consolidator does not handle " + e.type);
        }
        schedule(s, ctx);
        strengths.update(Math.round(s.strength * 1000));
        state.update(s);
    }

    private MemoryState write(MemoryEvent e, MemoryState s, long now, Context ctx, Collector<Transition> out) {
        if (s == null) {
            s = new MemoryState();
            s.createdMs = now;
            s.lastAccessMs = now;
            s.updatedMs = now;
            s.halfLifeMs = model.params().halfLifeMs;
            s.strength = Double.isNaN(e.ltpStrength) ? model.params().initialStrength : e.ltpStrength;
            s.tier = model.tierOnWrite(s.strength);
            s.contextId = e.contextId;
            setContent(new MemoryContent(e.hdv, e.payload));
            s.writes = 1;
            writes.get(s.tier).inc();
            createdTotal.add(1);
            emit(out, ctx, s, TransitionKind.CREATED, null, s.tier, now, "write", true);
            return s;
        }
        // A new version of an existing memory: new content, and the write counts as a use.
        rewrites.inc();
        rewrittenTotal.add(1);
        double current = model.strengthAt(s.strength, s.updatedMs, s.halfLifeMs, now);
        s.strength = Double.isNaN(e.ltpStrength) ? model.reinforce(current, 1) : e.ltpStrength;
        s.updatedMs = now;
        s.lastAccessMs = now;
        s.writes++;
        s.contextId = e.contextId;
        setContent(new MemoryContent(e.hdv, e.payload));
        Tier from = s.tier;
        if (from == Tier.WARM && model.promotes(s.strength)) {
            s.tier = Tier.HOT;
            emit(out, ctx, s, TransitionKind.WARM_TO_HOT, from, Tier.HOT, now, "write", true);
        } else {
            if (from == Tier.COLD) { // the new content makes the archived copy obsolete
                s.tier = model.tierOnWrite(s.strength);
                s.archive = null;
            }
            // (A COLD memory's archive row stays; the rewrite's later updated_ms wins in a batch rehydration.)
            emit(out, ctx, s, TransitionKind.UPDATED, from, s.tier, now, "write", true);
        }
        writes.get(s.tier).inc();
        return s;
    }

    private void access(MemoryState s, MemoryEvent e, long now, Context ctx, Collector<Transition> out) {
        int n = Math.max(1, e.accessCount);
        reads.get(s.tier).inc(n);
        double current = model.strengthAt(s.strength, s.updatedMs, s.halfLifeMs, now);
        s.strength = model.reinforce(current, n);
        s.halfLifeMs = model.grownHalfLife(s.halfLifeMs);
        s.updatedMs = now;
        s.accessCount += n;
        s.lastAccessMs = Math.max(now, e.lastAccess);
        if (e.contextId != null) {
            String key = ctx.getCurrentKey();
            ctx.output(CONTEXT_ACCESSES, new ContextAccess(
                    EventRouter.tenantOf(key), e.contextId, EventRouter.memoryIdOf(key), now, false));
        }
        switch (s.tier) {
            case HOT:
                emit(out, ctx, s, TransitionKind.HOT_TOUCH, Tier.HOT, Tier.HOT, now, "access", false);
                break;
            case WARM:
                if (model.promotes(s.strength)) {
                    s.tier = Tier.HOT;
                    emit(out, ctx, s, TransitionKind.WARM_TO_HOT, Tier.WARM, Tier.HOT, now, "access", true);
                }
                break;
            default:
                emit(out, ctx, s, TransitionKind.COLD_REACTIVATION, Tier.COLD, Tier.COLD, now, "access", false);
        }
    }

    private void trigger(MemoryState s, String what, long now, Context ctx, Collector<Transition> out) {
        double current = model.strengthAt(s.strength, s.updatedMs, s.halfLifeMs, now);
        switch (what) {
            case "hot_to_warm":
                if (s.tier == Tier.HOT) {
                    s.strength = current;
                    s.updatedMs = now;
                    s.tier = Tier.WARM;
                    emit(out, ctx, s, TransitionKind.HOT_TO_WARM, Tier.HOT, Tier.WARM, now, "trigger", true);
                }
                break;
            case "warm_to_cold":
                if (s.tier == Tier.WARM) {
                    s.strength = current;
                    s.updatedMs = now;
                    archive(s, now, "trigger", ctx, out);
                }
                break;
            case "rehydrate":
                if (s.tier == Tier.COLD) {
                    emit(out, ctx, s, TransitionKind.COLD_REACTIVATION, Tier.COLD, Tier.COLD, now, "trigger", false);
                }
                break;
            case "prewarm":
                prewarm(s, current, now, ctx, out);
                break;
            default:
                throw new IllegalArgumentException("unknown trigger tier " + what);
        }
    }

    /**
     * Active inference predicted this memory: bring it to HOT before it is asked for. A prediction
     * is not a use, so the LTP facts stay as they are: a WARM memory moves up only while its
     * strength would keep it HOT (one the LRU pushed out, not one that faded), a COLD one is read
     * back from its archive (and lands in the tier its strength gives), a HOT one is refreshed in the LRU.
     */
    private void prewarm(MemoryState s, double current, long now, Context ctx, Collector<Transition> out) {
        switch (s.tier) {
            case HOT:
                prewarms.get("touched").inc();
                emit(out, ctx, s, TransitionKind.HOT_TOUCH, Tier.HOT, Tier.HOT, now, "prewarm", false);
                break;
            case WARM:
                if (current >= model.params().hotMin) {
                    prewarms.get("to_hot").inc();
                    s.strength = current;
                    s.updatedMs = now;
                    s.tier = Tier.HOT;
                    emit(out, ctx, s, TransitionKind.WARM_TO_HOT, Tier.WARM, Tier.HOT, now, "prewarm", true);
                } else {
                    prewarms.get("too_weak").inc();
                }
                break;
            default:
                prewarms.get("rehydrating").inc();
                emit(out, ctx, s, TransitionKind.COLD_REACTIVATION, Tier.COLD, Tier.COLD, now, "prewarm", false);
        }
    }

    /**
     * A memory read back from its archive. The job's rehydrator (origin "access") restores only a
     * memory still COLD at that very location: deleted, rewritten or already restored ones stay as
     * they are. A batch restore also brings back memories this state no longer knows (lost state,
     * a new deployment) and counts as one access.
     */
    private MemoryState restore(MemoryEvent e, MemoryState s, long now, Context ctx, Collector<Transition> out) {
        boolean batch = "batch".equals(e.origin);
        if (s == null) {
            if (!batch) {
                restores.get("unknown").inc();
                return null;
            }
            s = new MemoryState();
            s.createdMs = e.updatedMs;
            s.updatedMs = e.updatedMs;
            s.strength = e.ltpStrength;
            s.halfLifeMs = e.halfLifeMs;
            s.lastAccessMs = e.lastAccess;
            s.accessCount = e.accessCount;
            s.contextId = e.contextId;
            s.tier = Tier.COLD;
            s.archive = e.archive;
            createdTotal.add(1);
        } else if (s.tier != Tier.COLD || !e.archive.equals(s.archive)) {
            restores.get("stale").inc();
            return s;
        }
        double current = model.strengthAt(s.strength, s.updatedMs, s.halfLifeMs, now);
        if (batch) {
            current = model.reinforce(current, 1);
            s.halfLifeMs = model.grownHalfLife(s.halfLifeMs);
            s.accessCount++;
            s.lastAccessMs = now;
        }
        s.strength = current;
        s.updatedMs = now;
        // Being brought back is a use: a memory rehydrated by a trigger must not be archived again at once.
        s.lastAccessMs = Math.max(s.lastAccessMs, now);
        s.archive = null;
        s.tier = model.tierOnWrite(current);
        setContent(new MemoryContent(e.hdv, e.payload));
        restores.get("restored").inc();
        emit(out, ctx, s, s.tier == Tier.HOT ? TransitionKind.COLD_TO_HOT : TransitionKind.COLD_TO_WARM, Tier.COLD, s.tier, now,
                batch ? "rehydrate" : "access", true);
        return s;
    }

    private void archive(MemoryState s, long now, String reason, Context ctx, Collector<Transition> out) {
        String tenant = EventRouter.tenantOf(ctx.getCurrentKey());
        String date = io.mnemocore.operators.tier.ColdArchive.date(now);
        ArchiveBatch b = batches.get(tenant);
        if (b == null || !b.date.equals(date) || b.rows >= rowsPerArchive) {
            b = new ArchiveBatch(date, String.format("%016x", batchIds.nextLong()));
            batches.put(tenant, b);
        }
        s.archive = b.date + "/" + b.id + "/" + b.rows++;
        s.tier = Tier.COLD;
        emit(out, ctx, s, TransitionKind.WARM_TO_COLD, Tier.WARM, Tier.COLD, now, reason, true);
        // From here on the archive holds the vector and payload; state keeps only the facts.
        clearContent();
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<Transition> out) throws Exception {
        opStartNanos = System.nanoTime();
        contentKnown = false;
        MemoryState s = separateContent(state.value());
        if (s == null || t != s.timerMs) {
            return; // superseded by a later reschedule, or already applied by catch-up
        }
        advance(s, t, ctx, out);
        state.update(s);
    }

    /** Applies the transition due at {@code t} (the memory's scheduled time) and reschedules. */
    private void advance(MemoryState s, long t, Context ctx, Collector<Transition> out) {
        ctx.timerService().deleteEventTimeTimer(s.timerMs); // no-op when it is the one firing
        s.timerMs = Long.MAX_VALUE;
        double current = model.strengthAt(s.strength, s.updatedMs, s.halfLifeMs, t);
        if (s.tier == Tier.HOT && current < model.params().hotMin) {
            s.strength = current;
            s.updatedMs = t;
            s.tier = Tier.WARM;
            emit(out, ctx, s, TransitionKind.HOT_TO_WARM, Tier.HOT, Tier.WARM, t, "decay", true);
        } else if (s.tier == Tier.WARM && t >= model.nextTransitionAt(Tier.WARM, s.strength, s.updatedMs, s.halfLifeMs, s.lastAccessMs)) {
            s.strength = current;
            s.updatedMs = t;
            archive(s, t, "idle", ctx, out);
        }
        schedule(s, ctx);
        if (s.timerMs <= t) {
            throw new IllegalStateException("LTP schedule did not advance past " + t); // guards the catch-up loop
        }
    }

    /**
     * Keeps the memory's one event-time timer at or before its next transition. A timer that is
     * early stays: it fires, {@link #advance} finds nothing due and sets the next one. Accesses
     * move the transition later, so most of them leave the timer alone instead of deleting and
     * inserting one in RocksDB (the two took 38% of the consolidator's CPU samples at 5,000 accesses/s).
     */
    private void schedule(MemoryState s, Context ctx) {
        long next = model.nextTransitionAt(s.tier, s.strength, s.updatedMs, s.halfLifeMs, s.lastAccessMs);
        if (next >= s.timerMs) {
            return; // the timer set fires first (or then): nothing is due before it
        }
        if (s.timerMs != Long.MAX_VALUE) {
            ctx.timerService().deleteEventTimeTimer(s.timerMs);
        }
        ctx.timerService().registerEventTimeTimer(next); // next < timerMs ≤ MAX_VALUE: a real time
        s.timerMs = next;
    }

    private void emit(Collector<Transition> out, Context ctx, MemoryState s, TransitionKind kind, Tier from, Tier to,
                      long at, String reason, boolean withContent) {
        String key = ctx.getCurrentKey();
        Transition t = new Transition();
        t.kind = kind;
        t.tenant = EventRouter.tenantOf(key);
        t.memoryId = EventRouter.memoryIdOf(key);
        t.contextId = s.contextId;
        t.fromTier = from;
        t.toTier = to;
        t.strength = s.strength;
        t.atMs = at;
        t.accessCount = s.accessCount;
        t.halfLifeMs = s.halfLifeMs;
        t.lastAccessMs = s.lastAccessMs;
        t.reason = reason;
        t.archive = s.archive;
        transitions.get(kind).inc();
        if (from != null && to != null && from != to) {
            consolidationSeconds.get(from + ">" + to).update(System.nanoTime() - opStartNanos);
        }
        out.collect(t);
        if (kind == TransitionKind.HOT_TOUCH) {
            ctx.output(HOT_TOUCHES, t);
        }
        // Deletes and reactivations reach the tier stores too, as facts: they need the id and the
        // archive location, not the vector.
        if (withContent || kind == TransitionKind.DELETED || kind == TransitionKind.COLD_REACTIVATION) {
            Transition full = t.copy();
            MemoryContent c = withContent ? contentOrNull() : null;
            if (c != null) {
                full.hdv = c.hdv;
                full.payload = c.payload;
            }
            if (to == Tier.HOT) {
                ctx.output(HOT_UPDATES, full);
            } else if (from == Tier.HOT || (kind == TransitionKind.DELETED && from == Tier.WARM)) {
                // A removal needs only the id. A WARM memory's delete too: it may have left HOT
                // moments ago and still be in the HOT index, waiting for its WARM write (HotStore).
                ctx.output(HOT_UPDATES, t.copy());
            }
            io.mnemocore.operators.tier.TierRouter.route(full, ctx::output);
        }
    }

    private void setContent(MemoryContent c) {
        try {
            content.update(c);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        contentNow = c;
        contentKnown = true;
    }

    private void clearContent() {
        content.clear();
        contentNow = null;
        contentKnown = true;
    }

    private MemoryContent contentOrNull() {
        if (!contentKnown) {
            try {
                contentNow = content.value();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            contentKnown = true;
        }
        return contentNow;
    }

    /**
     * State written before content had its own state (savepoint v1) keeps the vector and payload
     * inside the facts; they move to the content state the first time the memory is touched.
     */
    private MemoryState separateContent(MemoryState s) throws java.io.IOException {
        if (s != null && (s.hdv != null || s.payload != null)) {
            setContent(new MemoryContent(s.hdv, s.payload));
            s.hdv = null;
            s.payload = null;
            state.update(s);
        }
        return s;
    }

    private void reject(MemoryEvent e, Context ctx, String detail) {
        rejected.inc();
        ctx.output(REJECTED, new DlqRecord("unknown_memory", detail, e.sourceStream, e.sourceId, e.tenant, codec.encode(e), e.timestamp));
    }
}
