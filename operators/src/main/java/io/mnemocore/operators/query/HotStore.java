package io.mnemocore.operators.query;

import io.mnemocore.operators.edge.EdgeTypes;
import io.mnemocore.operators.ingest.EventRouter;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The durable half of the HOT index. Keyed like the consolidator (tenant/memory_id), it keeps each
 * HOT memory's vector, payload and LTP facts in keyed state (RocksDB) and sends every change
 * to the {@link HotIndex} subtask of the same number ({@link IndexRoute}), which holds the
 * searchable matrices on the heap. At its start it sends that subtask {@link HotChange.Op#BEGIN},
 * every HOT memory of its key groups, then {@link HotChange.Op#READY}: that is how the index is
 * rebuilt after a restore or a rescale, from keyed state, without replaying any event.
 *
 * <p>Why two operators: a keyed operator's RocksDB native checkpoint runs in the synchronous part
 * of each checkpoint, on the task's thread. With the keyed state in the operator that answers
 * queries, that part (17–72 ms at 100,000 HOT, README "Where the time goes") stopped every query
 * at every checkpoint. Here it stops only this task; the index task snapshots nothing but the
 * queries it holds while waiting for READY.
 */
public final class HotStore extends AbstractStreamOperator<HotChange>
        implements OneInputStreamOperator<Transition, HotChange> {
    private static final long serialVersionUID = 1L;

    /**
     * The touches this store passed on, for the index: on an edge of their own, as they came (see
     * {@link #processElement}); the main output carries adds, removals and the rebuild's markers.
     */
    public static final OutputTag<HotChange> TOUCHES = new OutputTag<>("hot-touches", EdgeTypes.HOT_CHANGE);

    /** Operator state of the earlier single-operator index (same uid): touched facts, read once on restore. */
    static final String LEGACY_FACTS = "hot-facts-latest";

    private transient ValueState<HotMemory> memory;
    private transient ValueState<HotFacts> facts;
    /**
     * A memory that left HOT for WARM stays in the index until the WARM writer's word for that
     * departure ({@link TransitionKind#WARM_STORED}): sent at once, its removal would reach the
     * index within milliseconds, its WARM write lands only within the writer's delay, and in
     * between a query would find it in neither tier. The writer sends exactly one word per
     * departure, in order, on another edge, so a word may come before its departure: here, the
     * departures not yet matched by a word (negative: words ahead), absent when zero. Counting,
     * not times: a memory may leave, come back and leave again within one millisecond of event time.
     */
    private transient ValueState<Integer> unconfirmed;

    public static ValueStateDescriptor<HotMemory> memoryDescriptor() {
        return new ValueStateDescriptor<>("hot-memory", HotMemory.class);
    }

    static ValueStateDescriptor<HotFacts> factsDescriptor() {
        return new ValueStateDescriptor<>("hot-facts", HotFacts.class);
    }

    @Override
    public void initializeState(StateInitializationContext ctx) throws Exception {
        super.initializeState(ctx);
        memory = ctx.getKeyedStateStore().getState(memoryDescriptor());
        facts = ctx.getKeyedStateStore().getState(factsDescriptor());
        unconfirmed = ctx.getKeyedStateStore().getState(new ValueStateDescriptor<>("hot-departures-unconfirmed", Types.INT));
        ListState<byte[]> legacy = ctx.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>(LEGACY_FACTS, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        if (ctx.isRestored()) {
            migrateLegacyFacts(legacy);
        }
    }

    /**
     * A savepoint of the single-operator index kept the facts of accesses since a memory's HOT add
     * in one packed union entry per subtask (count, then per memory: key, strength, updated_ms,
     * half_life_ms, last_access_ms). They go into keyed state here, for the keys of this subtask.
     */
    private void migrateLegacyFacts(ListState<byte[]> legacy) throws Exception {
        var task = getRuntimeContext().getTaskInfo();
        for (byte[] packed : legacy.get()) {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(packed));
            for (int i = in.readInt(); i > 0; i--) {
                String key = in.readUTF();
                HotFacts f = new HotFacts();
                f.strength = in.readDouble();
                f.updatedMs = in.readLong();
                f.halfLifeMs = in.readDouble();
                f.lastAccessMs = in.readLong();
                if (KeyGroupRangeAssignment.assignKeyToParallelOperator(key, task.getMaxNumberOfParallelSubtasks(),
                        task.getNumberOfParallelSubtasks()) == task.getIndexOfThisSubtask()) {
                    setCurrentKey(key);
                    if (facts.value() != null) {
                        facts.update(f);
                    }
                }
            }
        }
        legacy.clear();
    }

    @Override
    public void open() throws Exception {
        super.open();
        // In the mailbox, once the task runs: a checkpoint cannot cut the rebuild in two, and
        // changes processed before it are idempotent with it (it sends the state they left).
        getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime(), now -> rebuildIndex());
    }

    private void rebuildIndex() throws Exception {
        var task = getRuntimeContext().getTaskInfo();
        int store = task.getIndexOfThisSubtask();
        int stores = task.getNumberOfParallelSubtasks();
        int maxParallelism = task.getMaxNumberOfParallelSubtasks();
        emit(HotChange.marker(HotChange.Op.BEGIN, store, stores, maxParallelism));
        getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, memoryDescriptor(),
                (key, st) -> {
                    HotMemory m = st.value();
                    HotFacts f = facts.value(); // the visited key is the current key
                    if (m != null && f != null) {
                        String k = (String) key;
                        emit(HotChange.of(HotChange.Op.UPSERT, EventRouter.tenantOf(k), EventRouter.memoryIdOf(k), m, f));
                    }
                });
        emit(HotChange.marker(HotChange.Op.READY, store, stores, maxParallelism));
    }

    /**
     * Touches come on an edge of their own (the consolidator's {@code HOT_TOUCHES}), and one
     * memory's touches may arrive before or after its add or removal on the other edge. So a
     * touch of a memory the store does not hold is dropped (its removal came first, or, rarely, it
     * overtook the add: the facts stay those of the add until the next touch), and facts only
     * move forward in time ({@link HotFacts#newest}). Within a millisecond the later arrival wins.
     */
    @Override
    public void processElement(StreamRecord<Transition> record) throws Exception {
        Transition t = record.getValue();
        if (t.kind == TransitionKind.HOT_TOUCH) {
            HotFacts held = facts.value();
            HotFacts f = HotFacts.of(t);
            if (held != null && HotFacts.newest(held, f) == f) {
                facts.update(f);
                output.collect(TOUCHES, new StreamRecord<>(HotChange.of(HotChange.Op.TOUCH, t.tenant, t.memoryId, null, f)));
            }
        } else if (t.kind == TransitionKind.WARM_STORED) {
            // The last departure's word, with the memory not back in HOT: now WARM has it.
            if (countDeparture(-1) == 0 && facts.value() == null) {
                remove(t);
            }
        } else if (t.toTier == Tier.HOT && t.hdv != null) {
            HotMemory m = new HotMemory();
            m.hdv = t.hdv;
            m.payload = t.payload;
            m.contextId = t.contextId;
            // Only a memory that stays HOT (a rewrite) can hold facts here: one entering HOT had
            // them cleared by its removal, which came first on the same edge. So a new memory
            // costs no read.
            HotFacts f = t.fromTier == Tier.HOT ? HotFacts.newest(facts.value(), HotFacts.of(t)) : HotFacts.of(t);
            memory.update(m);
            facts.update(f);
            emit(HotChange.of(HotChange.Op.UPSERT, t.tenant, t.memoryId, m, f));
        } else if (t.fromTier == Tier.HOT && t.toTier == Tier.WARM) {
            memory.clear();
            facts.clear();
            if (countDeparture(1) <= 0) {
                remove(t); // its word came first
            }
        } else if (t.fromTier == Tier.HOT || t.kind == TransitionKind.DELETED) {
            // Out at once. Words still owed for earlier departures keep being counted: dropped,
            // they would match a later departure of a memory of the same id.
            memory.clear();
            facts.clear();
            remove(t);
        }
    }

    /** Adds {@code delta} to the departures not yet matched by a word; returns the new count. */
    private int countDeparture(int delta) throws java.io.IOException {
        Integer n = unconfirmed.value();
        int now = (n == null ? 0 : n) + delta;
        if (now == 0) {
            if (n != null) {
                unconfirmed.clear();
            }
        } else {
            unconfirmed.update(now);
        }
        return now;
    }

    private void remove(Transition t) {
        emit(HotChange.of(HotChange.Op.REMOVE, t.tenant, t.memoryId, null, null));
    }

    private void emit(HotChange c) {
        output.collect(new StreamRecord<>(c));
    }
}
