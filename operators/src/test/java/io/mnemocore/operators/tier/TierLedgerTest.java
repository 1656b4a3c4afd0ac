package io.mnemocore.operators.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class TierLedgerTest {

    static Transition t(TransitionKind kind, String id, Tier from, Tier to, long at) {
        return t(kind, "acme", id, from, to, at);
    }

    static Transition t(TransitionKind kind, String tenant, String id, Tier from, Tier to, long at) {
        Transition t = new Transition();
        t.kind = kind;
        t.tenant = tenant;
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

    static int chunks(OperatorSubtaskState snap, String state) {
        return snap.getManagedOperatorState().iterator().next().getStateNameToPartitionOffsets().get(state).getOffsets().length;
    }

    /**
     * Most snapshots write the base again unchanged, plus one delta per snapshot since it with the
     * keys changed in that interval. A ledger restored from any of them, base plus deltas, must
     * then behave exactly like the one that wrote it: the same evictions, in the same order, and
     * the same counts.
     */
    @Test
    void restoredFromAnySnapshotTheLedgerEvictsExactlyAsTheOriginal() throws Exception {
        Random rnd = new Random(7);
        TierLedger a = new TierLedger(400, 50);
        var ha = harness(a, null);
        Map<String, Tier> tierOf = new HashMap<>(); // what the consolidators know: tenant/id -> tier, null once deleted
        List<String> keys = new ArrayList<>();
        ArrayDeque<String> demotions = new ArrayDeque<>(); // evictions the ledger asked for, on their way back
        long now = 0;
        int withDelta = 0;
        int repacked = 0;
        int baseChunks = -1;
        for (int i = 0; i < 600; i++) { // past the cap, so evictions are in flight from the start
            String key = "acme/m" + keys.size();
            keys.add(key);
            ha.processElement(move(tierOf, key, TransitionKind.CREATED, Tier.HOT, ++now), now);
        }
        for (MemoryEvent e : drain(ha)) {
            for (String id : e.memoryIds) {
                demotions.add(e.tenant + "/" + id);
            }
        }
        int rounds = 60;
        for (int round = 0; round < rounds; round++) {
            OperatorSubtaskState snap = ha.snapshot(round, now);
            if (chunks(snap, "hot-lru-delta") > 0) {
                withDelta++;
            } else {
                repacked++;
            }
            baseChunks = chunks(snap, "hot-lru-packed");
            TierLedger b = new TierLedger(400, 50);
            var hb = harness(b, snap);
            assertThat(new long[] {b.hotCount(), b.warmCount(), b.coldCount()}).as("round %d", round)
                    .containsExactly(a.hotCount(), a.warmCount(), a.coldCount());
            // Every fifth round ends with more new memories than the cap, so the evictions walk the
            // whole LRU, the keys the deltas moved to its end included.
            int steps = round % 5 == 4 ? 40 + 450 : 40;
            for (int i = 0; i < steps; i++) {
                Transition t = i < 40 ? next(rnd, tierOf, keys, demotions, ++now) : created(tierOf, keys, ++now);
                ha.processElement(t, now);
                hb.processElement(t, now);
                List<String> fromA = describe(drain(ha));
                assertThat(describe(drain(hb))).as("round %d, step %d", round, i).isEqualTo(fromA);
                for (String ev : fromA) {
                    String tenant = ev.substring(0, ev.indexOf(' '));
                    for (String id : ev.substring(ev.indexOf(' ') + 1).split(",")) {
                        demotions.add(tenant + "/" + id);
                    }
                }
            }
            assertThat(new long[] {b.hotCount(), b.warmCount(), b.coldCount()})
                    .containsExactly(a.hotCount(), a.warmCount(), a.coldCount());
            hb.close();
        }
        assertThat(withDelta).as("snapshots that kept the base").isGreaterThan(rounds / 2);
        assertThat(repacked).as("snapshots that packed a new base").isGreaterThan(1);
        assertThat(baseChunks).isEqualTo(1);
        ha.close();
    }

    private static Transition created(Map<String, Tier> tierOf, List<String> keys, long at) {
        String key = "acme/m" + keys.size();
        keys.add(key);
        return move(tierOf, key, TransitionKind.CREATED, Tier.HOT, at);
    }

    /** The consolidators' side of the workload: new memories, uses, promotions, demotions, deletes. */
    private static Transition next(Random rnd, Map<String, Tier> tierOf, List<String> keys, ArrayDeque<String> demotions, long at) {
        if (!demotions.isEmpty() && rnd.nextInt(4) == 0) {
            String key = demotions.poll();
            if (tierOf.get(key) == Tier.HOT) {
                return move(tierOf, key, TransitionKind.HOT_TO_WARM, Tier.WARM, at);
            }
        }
        if (keys.isEmpty() || rnd.nextInt(3) == 0) {
            String key = (rnd.nextBoolean() ? "acme" : "globex") + "/m" + keys.size();
            keys.add(key);
            return move(tierOf, key, TransitionKind.CREATED, Tier.HOT, at);
        }
        String key = keys.get(rnd.nextInt(keys.size()));
        Tier now = tierOf.get(key);
        if (now == null) {
            return move(tierOf, key, TransitionKind.CREATED, Tier.HOT, at);
        }
        if (rnd.nextInt(12) == 0) {
            return move(tierOf, key, TransitionKind.DELETED, null, at);
        }
        switch (now) {
            case HOT:
                return move(tierOf, key, TransitionKind.HOT_TOUCH, Tier.HOT, at);
            case WARM:
                return rnd.nextBoolean() ? move(tierOf, key, TransitionKind.WARM_TO_HOT, Tier.HOT, at)
                        : move(tierOf, key, TransitionKind.WARM_TO_COLD, Tier.COLD, at);
            default:
                return move(tierOf, key, TransitionKind.COLD_TO_HOT, Tier.HOT, at);
        }
    }

    private static Transition move(Map<String, Tier> tierOf, String key, TransitionKind kind, Tier to, long at) {
        int slash = key.indexOf('/');
        Transition t = t(kind, key.substring(0, slash), key.substring(slash + 1), tierOf.get(key), to, at);
        tierOf.put(key, to);
        return t;
    }

    private static List<String> describe(List<MemoryEvent> events) {
        List<String> out = new ArrayList<>();
        for (MemoryEvent e : events) {
            assertThat(e.type).isEqualTo(EventType.CONSOLIDATION_TRIGGER);
            out.add(e.tenant + " " + String.join(",", Arrays.asList(e.memoryIds)));
        }
        return out;
    }
}
