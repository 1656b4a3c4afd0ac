package io.mnemocore.operators.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class TierLedgerTest {

    static Transition t(TransitionKind kind, String id, Tier from, Tier to, long at) {
        Transition t = new Transition();
        t.kind = kind;
        t.tenant = "acme";
        t.memoryId = id;
        t.fromTier = from;
        t.toTier = to;
        t.atMs = at;
        return t;
    }

    /** An open harness around {@code ledger}, restored from {@code snap} unless it is null. */
    static OneInputStreamOperatorTestHarness<Transition, MemoryEvent> harness(TierLedger ledger, OperatorSubtaskState snap) throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(ledger));
        if (snap != null) {
            h.initializeState(snap);
        }
        h.open();
        return h;
    }

    static List<MemoryEvent> drain(OneInputStreamOperatorTestHarness<Transition, MemoryEvent> h) {
        List<MemoryEvent> out = new ArrayList<>(h.extractOutputValues());
        h.getOutput().clear();
        return out;
    }

    @Test
    void evictsLeastRecentlyUsedBeyondCapacityOnce() throws Exception {
        TierLedger ledger = new TierLedger(3, 100);
        var h = harness(ledger, null);
        for (int i = 0; i < 3; i++) {
            h.processElement(t(TransitionKind.CREATED, "m" + i, null, Tier.HOT, i), i);
        }
        h.processElement(t(TransitionKind.HOT_TOUCH, "m0", Tier.HOT, Tier.HOT, 10), 10); // m0 used again
        assertThat(drain(h)).isEmpty();
        h.processElement(t(TransitionKind.CREATED, "m3", null, Tier.HOT, 11), 11);
        List<MemoryEvent> ev = drain(h);
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).type).isEqualTo(EventType.CONSOLIDATION_TRIGGER);
        assertThat(ev.get(0).tier).isEqualTo("hot_to_warm");
        assertThat(ev.get(0).tenant).isEqualTo("acme");
        assertThat(ev.get(0).memoryIds).containsExactly("m1"); // least recently used
        // Still over until the demotion comes back, but the eviction is not requested twice.
        h.processElement(t(TransitionKind.HOT_TOUCH, "m2", Tier.HOT, Tier.HOT, 12), 12);
        assertThat(drain(h)).isEmpty();
        h.processElement(t(TransitionKind.HOT_TO_WARM, "m1", Tier.HOT, Tier.WARM, 13), 13);
        assertThat(ledger.hotCount()).isEqualTo(3);
        assertThat(ledger.warmCount()).isEqualTo(1);

        // Counts and the pending eviction survive a snapshot/restore.
        h.processElement(t(TransitionKind.CREATED, "m4", null, Tier.HOT, 14), 14);
        // LRU order is now m0 (used at 10), m3 (11), m2 (12), m4 (14).
        assertThat(drain(h).get(0).memoryIds).containsExactly("m0");
        OperatorSubtaskState snap = h.snapshot(1, 15);
        h.close();
        TierLedger restored = new TierLedger(3, 100);
        var h2 = harness(restored, snap);
        assertThat(restored.hotCount()).isEqualTo(4);
        assertThat(restored.warmCount()).isEqualTo(1);
        h2.processElement(t(TransitionKind.HOT_TOUCH, "m2", Tier.HOT, Tier.HOT, 16), 16);
        assertThat(drain(h2)).as("m0's eviction is already in flight").isEmpty();
        h2.processElement(t(TransitionKind.WARM_TO_COLD, "m1", Tier.WARM, Tier.COLD, 17), 17);
        h2.processElement(t(TransitionKind.DELETED, "m2", Tier.HOT, null, 18), 18);
        assertThat(restored.coldCount()).isEqualTo(1);
        assertThat(restored.warmCount()).isZero();
        assertThat(restored.hotCount()).isEqualTo(3);
        h2.close();
    }

    @Test
    void packedLruSpanningChunksRestoresInUseOrder() throws Exception {
        int n = 60_000; // ~2 MB packed: more than one chunk
        TierLedger ledger = new TierLedger(n, 100_000);
        var h = harness(ledger, null);
        for (int i = 0; i < n; i++) {
            h.processElement(t(TransitionKind.CREATED, "memory-" + i, null, Tier.HOT, i), i);
        }
        h.processElement(t(TransitionKind.HOT_TOUCH, "memory-0", Tier.HOT, Tier.HOT, n), n); // memory-1 is now the eldest
        OperatorSubtaskState snap = h.snapshot(1, n);
        h.close();
        assertThat(snap.getManagedOperatorState().iterator().next().getStateNameToPartitionOffsets().get("hot-lru-packed")
                .getOffsets()).as("chunks, not one element per memory").hasSizeBetween(2, 4);

        TierLedger restored = new TierLedger(n, 100_000);
        var h2 = harness(restored, snap);
        assertThat(restored.hotCount()).isEqualTo(n);
        h2.processElement(t(TransitionKind.CREATED, "new", null, Tier.HOT, n + 1), n + 1);
        List<MemoryEvent> ev = drain(h2);
        assertThat(ev).hasSize(1);
        // Down to 1% below the cap: the 601 eldest, in use order.
        assertThat(ev.get(0).memoryIds).hasSize(601);
        assertThat(ev.get(0).memoryIds[0]).isEqualTo("memory-1");
        assertThat(ev.get(0).memoryIds[600]).isEqualTo("memory-601");
        h2.close();
    }

    /** The function the ledger was before its LRU was packed: it kept one string per memory. */
    static final class LegacyLedgerState extends org.apache.flink.streaming.api.functions.ProcessFunction<Transition, MemoryEvent>
            implements org.apache.flink.streaming.api.checkpoint.CheckpointedFunction {
        @Override
        public void processElement(Transition t, Context ctx, org.apache.flink.util.Collector<MemoryEvent> out) {}

        @Override
        public void snapshotState(org.apache.flink.runtime.state.FunctionSnapshotContext ctx) {}

        @Override
        public void initializeState(org.apache.flink.runtime.state.FunctionInitializationContext ctx) throws Exception {
            var store = ctx.getOperatorStateStore();
            store.getListState(new org.apache.flink.api.common.state.ListStateDescriptor<>("hot-lru", String.class))
                    .update(List.of("!5|acme/asked", "1|acme/old", "3|acme/newer"));
            store.getListState(new org.apache.flink.api.common.state.ListStateDescriptor<>("tier-counts", Long.class))
                    .update(List.of(7L, 9L));
        }
    }

    @Test
    void restoresTheOneStringPerMemoryFormatOfEarlierSavepoints() throws Exception {
        var old = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new LegacyLedgerState()));
        old.open();
        OperatorSubtaskState snap = old.snapshot(1, 1);
        old.close();

        TierLedger restored = new TierLedger(2, 100);
        var h = harness(restored, snap);
        assertThat(restored.hotCount()).isEqualTo(3);
        assertThat(restored.warmCount()).isEqualTo(7);
        assertThat(restored.coldCount()).isEqualTo(9);
        h.processElement(t(TransitionKind.CREATED, "fresh", null, Tier.HOT, 10), 10);
        // "asked" is already being evicted; of the others the eldest goes, then the next, down to the cap.
        List<MemoryEvent> ev = drain(h);
        assertThat(ev).hasSize(1);
        assertThat(ev.get(0).memoryIds).containsExactly("old");
        // The next snapshot holds the packed form only.
        OperatorSubtaskState again = h.snapshot(2, 11);
        h.close();
        var offsets = again.getManagedOperatorState().iterator().next().getStateNameToPartitionOffsets();
        assertThat(offsets.get("hot-lru").getOffsets()).isEmpty();
        assertThat(offsets.get("hot-lru-packed").getOffsets()).hasSize(1);
    }
}
