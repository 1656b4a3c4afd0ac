package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.ReferenceKernel;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoProcessOperator;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

/**
 * The HOT index as the job wires it: {@link HotStore} (keyed harness) feeding {@link HotIndex}
 * (two-input harness), every change the store emits forwarded to the index.
 */
class HotIndexTest {
    static final int D = 1024;
    static final KeySelector<Transition, String> KEY = t -> t.tenant + "/" + t.memoryId;

    static HotIndex index(boolean approximate) {
        return new HotIndex(D, "cpu", 1, approximate, 128, 8, 4, 0);
    }

    /** One store subtask and the index subtask it feeds. */
    static final class Pipeline implements AutoCloseable {
        final KeyedOneInputStreamOperatorTestHarness<String, Transition, HotChange> store;
        final TwoInputStreamOperatorTestHarness<HotChange, Query, PartialResult> index;
        final HotIndex fn;
        private int forwarded;

        Pipeline(HotIndex fn, Snapshot restore, int parallelism, int subtask) throws Exception {
            this(fn, restore, parallelism, subtask, new HotStore());
        }

        Pipeline(HotIndex fn, Snapshot restore, int parallelism, int subtask, HotStore hotStore) throws Exception {
            this.fn = fn;
            store = new KeyedOneInputStreamOperatorTestHarness<>(hotStore, KEY, Types.STRING, 128, parallelism, subtask);
            index = new TwoInputStreamOperatorTestHarness<>(new CoProcessOperator<>(fn), 128, parallelism, subtask);
            store.setup();
            index.setup();
            if (restore != null) {
                store.initializeState(restore.store);
                index.initializeState(restore.index);
            }
            store.open();
            index.open();
        }

        /** Lets the store's start-up rebuild run (a processing-time callback) and delivers it. */
        Pipeline start() throws Exception {
            store.setProcessingTime(store.getProcessingTime() + 1);
            forward();
            return this;
        }

        /** Delivers what the store emitted: its adds, removals and markers, then its touches (their own edge). */
        void forward() throws Exception {
            forwardChanges();
            forwardTouches();
        }

        void forwardChanges() throws Exception {
            List<HotChange> out = store.extractOutputValues();
            for (; forwarded < out.size(); forwarded++) {
                index.processElement1(out.get(forwarded), 0);
            }
        }

        void forwardTouches() throws Exception {
            var touches = store.getSideOutput(HotStore.TOUCHES);
            while (touches != null && !touches.isEmpty()) {
                index.processElement1(touches.poll().getValue(), 0);
            }
        }

        /** The store's touches not delivered yet. */
        List<HotChange> pendingTouches() {
            var touches = store.getSideOutput(HotStore.TOUCHES);
            return touches == null ? List.of() : touches.stream().map(StreamRecord::getValue).toList();
        }

        void send(Transition t) throws Exception {
            store.processElement(t, 0);
            forward();
        }

        /** The partial results the index has emitted so far. */
        List<PartialResult> results() {
            return index.extractOutputValues();
        }

        PartialResult ask(Query q) throws Exception {
            int before = results().size();
            index.processElement2(q, 0);
            assertThat(results()).hasSize(before + 1);
            return results().get(before);
        }

        Snapshot snapshot(long id) throws Exception {
            return new Snapshot(store.snapshot(id, id), index.snapshot(id, id));
        }

        HotFacts keyedFacts(String key) throws Exception {
            var backend = store.getOperator().getKeyedStateBackend();
            backend.setCurrentKey(key);
            return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                    HotStore.factsDescriptor()).value();
        }

        @Override
        public void close() throws Exception {
            store.close();
            index.close();
        }
    }

    record Snapshot(OperatorSubtaskState store, OperatorSubtaskState index) {}

    static Pipeline pipeline(HotIndex fn) throws Exception {
        return new Pipeline(fn, null, 1, 0).start();
    }

    static Transition hot(String tenant, String id, long[] hdv) {
        Transition t = new Transition();
        t.kind = TransitionKind.CREATED;
        t.tenant = tenant;
        t.memoryId = id;
        t.toTier = Tier.HOT;
        t.hdv = hdv;
        t.strength = 0.9;
        t.atMs = 1000;
        t.halfLifeMs = 86_400_000;
        t.lastAccessMs = 1000;
        t.payload = new byte[] {(byte) 0xa1, 0x78}; // msgpack "x"
        return t;
    }

    static Transition leave(String tenant, String id, TransitionKind kind) {
        Transition t = new Transition();
        t.kind = kind;
        t.tenant = tenant;
        t.memoryId = id;
        t.fromTier = Tier.HOT;
        t.toTier = kind == TransitionKind.DELETED ? null : Tier.WARM;
        return t;
    }

    static Query query(String tenant, long[] hdv, int k) {
        Query q = new Query();
        q.queryId = "q" + System.nanoTime();
        q.tenant = tenant;
        q.kind = "query";
        q.hdv = hdv;
        q.k = k;
        return q;
    }

    /** Memories m0..m(n-1) of tenant "a" at 10, 20, ... bits from {@code base}. */
    static void sendNear(Pipeline p, Hdv base, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            p.send(hot("a", "m" + i, flip(base, 10 * (i + 1), i).words()));
        }
    }

    /** Three memories near {@code base} (m0..m2) and one far from it ("far"), tenant "a". */
    static void sendNearAndFar(Pipeline p, Hdv base) throws Exception {
        sendNear(p, base, 3);
        p.send(hot("a", "far", Hdv.random(D, 4).words()));
    }

    /** An inference.predict of tenant "a" whose history predicted {@code ids} at {@code distances}. */
    static Query fromHistory(Hdv context, int k, String[] ids, int[] distances) {
        Query q = query("a", context.words(), k);
        q.kind = "inference.predict";
        q.predicted = ids;
        q.predictedDistance = distances;
        return q;
    }

    static List<String> ids(PartialResult r) {
        List<String> ids = new ArrayList<>();
        for (Hit h : r.hits) {
            ids.add(h.memoryId);
        }
        return ids;
    }

    @Test
    void answersTheTenantsNearestHotMemoriesOnly() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        p.send(hot("a", "near", flip(base, 10, 2).words()));
        p.send(hot("a", "mid", flip(base, 100, 3).words()));
        p.send(hot("a", "far", Hdv.random(D, 4).words()));
        p.send(hot("b", "other-tenant-exact", base.words()));

        PartialResult r = p.ask(query("a", base.words(), 2));
        assertThat(ids(r)).containsExactly("near", "mid");
        assertThat(r.hits[0].distance).isEqualTo(10);
        assertThat(r.hits[0].payload).containsExactly(0xa1, 0x78);
        assertThat(r.hits[0].tier).isEqualTo("hot");
        assertThat(r.parts).isEqualTo(1);
        assertThat(r.indexStartUs).as("the search's wall-clock start, epoch microseconds").isGreaterThan(1_700_000_000_000_000L);
        assertThat(r.indexEndUs).isGreaterThanOrEqualTo(r.indexStartUs);
        assertThat(r.scanned).isEqualTo(3);
        assertThat(ids(p.ask(query("b", base.words(), 5)))).containsExactly("other-tenant-exact");
        assertThat(p.ask(query("nobody", base.words(), 5)).hits).isEmpty();
    }

    /** A prediction from history looks its memories up by id; one left to its context_hdv is searched like a query. */
    @Test
    void aPredictionFromHistoryLooksUpItsMemoriesOneByContentSearches() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNearAndFar(p, base);
        PartialResult r = p.ask(fromHistory(base, 3, new String[] {"far", "not-in-hot"}, new int[] {700, 800}));
        assertThat(ids(r)).containsExactly("far");
        assertThat(r.hits[0].distance).as("the prediction's distance").isEqualTo(700);

        Query byContent = query("a", base.words(), 2);
        byContent.kind = "inference.predict";
        assertThat(ids(p.ask(byContent))).containsExactly("m0", "m1");
    }

    /**
     * A history prediction topped up by its context_hdv: the predicted memories first (the
     * prediction's distance), then the vector's nearest, a predicted one not twice.
     */
    @Test
    void aPredictionToppedUpByContentLooksUpItsMemoriesAndSearches() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNearAndFar(p, base);
        Query q = fromHistory(base, 3, new String[] {"far", "m1"}, new int[] {700, 800});
        q.contentTopUp = true;
        PartialResult r = p.ask(q);
        assertThat(ids(r)).containsExactly("far", "m1", "m0", "m2");
        assertThat(r.hits[0].distance).isEqualTo(700);
        assertThat(r.hits[1].distance).as("a predicted memory keeps the prediction's distance").isEqualTo(800);
        assertThat(r.scanned).isEqualTo(4);
    }

    @Test
    void followsMemoriesLeavingAndReenteringHot() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNear(p, base, 5);
        leftForWarm(p, "a", "m0");
        p.send(leave("a", "m2", TransitionKind.DELETED));
        assertThat(ids(p.ask(query("a", base.words(), 5)))).containsExactly("m1", "m3", "m4");
        Transition back = hot("a", "m0", flip(base, 10, 0).words());
        back.kind = TransitionKind.WARM_TO_HOT;
        p.send(back);
        p.send(touch("a", "m1", 0.99, 5000));
        PartialResult r = p.ask(query("a", base.words(), 5));
        assertThat(ids(r)).containsExactly("m0", "m1", "m3", "m4");
        assertThat(r.hits[1].strength).isEqualTo(0.99);
        assertThat(r.hits[1].updatedMs).isEqualTo(5000);
    }

    /**
     * After a restore the index is empty: the store sends what its keyed state holds, then READY;
     * a query that comes first waits for READY instead of being answered from a partial index.
     */
    @Test
    void rebuildsFromTheStoresKeyedStateAfterRestore() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        for (int i = 0; i < 50; i++) {
            p.send(hot(i % 2 == 0 ? "a" : "b", "m" + i, flip(base, 5 + i, i).words()));
        }
        leftForWarm(p, "a", "m0");
        PartialResult before = p.ask(query("a", base.words(), 10));
        Snapshot snap = p.snapshot(1);
        p.close();

        var restored = new Pipeline(index(false), snap, 1, 0);
        restored.index.processElement2(query("a", base.words(), 10), 0);
        assertThat(restored.results()).isEmpty();
        assertThat(restored.fn.waiting()).isEqualTo(1);
        restored.start();
        assertThat(restored.results()).hasSize(1);
        PartialResult after = restored.results().get(0);
        assertThat(ids(after)).isEqualTo(ids(before)).doesNotContain("m0").hasSize(10);
        assertThat(after.scanned).isEqualTo(24);
        assertThat(restored.fn.waiting()).isZero();
        // Changes after the rebuild are applied to the rebuilt matrices.
        leftForWarm(restored, "a", ids(after).get(0));
        assertThat(ids(restored.ask(query("a", base.words(), 10)))).doesNotContain(ids(after).get(0)).hasSize(10);
    }

    /** A query still waiting for READY at a checkpoint is in that checkpoint, and is answered after the next restore. */
    @Test
    void aQueryWaitingForTheRebuildSurvivesACheckpoint() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNear(p, base, 6);
        Snapshot first = p.snapshot(1);
        p.close();

        var waiting = new Pipeline(index(false), first, 1, 0);
        Query q = query("a", base.words(), 3);
        waiting.index.processElement2(q, 0);
        Snapshot second = waiting.snapshot(2); // before its store's rebuild arrived
        waiting.close();

        var last = new Pipeline(index(false), second, 1, 0).start();
        assertThat(last.results()).hasSize(1);
        assertThat(last.results().get(0).query.queryId).isEqualTo(q.queryId);
        assertThat(ids(last.results().get(0))).containsExactly("m0", "m1", "m2");
    }

    /**
     * Restored from an unaligned checkpoint, the index's input may first replay the tail of the
     * rebuild the store sent at its earlier start, READY included: that READY follows no BEGIN
     * seen by this task, so queries wait for the store's new rebuild instead of a half-built index.
     */
    @Test
    void aReplayedTailOfAnEarlierRebuildDoesNotMakeTheIndexReady() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNear(p, base, 6);
        List<HotChange> sent = p.store.extractOutputValues();
        HotChange lastUpsert = sent.get(sent.size() - 1);
        HotChange ready = sent.stream().filter(c -> c.op == HotChange.Op.READY).findFirst().orElseThrow();
        Snapshot snap = p.snapshot(1);
        p.close();

        var restored = new Pipeline(index(false), snap, 1, 0);
        restored.index.processElement1(lastUpsert, 0); // the channel state: one memory, then the old READY
        restored.index.processElement1(ready, 0);
        Query q = query("a", base.words(), 3);
        restored.index.processElement2(q, 0);
        assertThat(restored.results()).isEmpty();
        assertThat(restored.fn.waiting()).isEqualTo(1);
        restored.start();
        assertThat(restored.results()).singleElement().satisfies(r -> assertThat(ids(r)).containsExactly("m0", "m1", "m2"));
        assertThat(restored.results().get(0).scanned).isEqualTo(6);
    }

    /** Only the store subtask of the same number, at the same parallelism, makes an index subtask ready. */
    @Test
    void markersOfAnotherStoreAreIgnored() throws Exception {
        var p = new Pipeline(index(false), null, 2, 0);
        for (HotChange.Op op : List.of(HotChange.Op.BEGIN, HotChange.Op.READY)) {
            p.index.processElement1(HotChange.marker(op, 1, 2, 128), 0); // store 1 of 2
            p.index.processElement1(HotChange.marker(op, 0, 3, 128), 0); // store 0 of 3: another parallelism
        }
        p.index.processElement2(query("a", Hdv.random(D, 1).words(), 3), 0);
        assertThat(p.results()).isEmpty();
        p.start();
        assertThat(p.results()).hasSize(1);
        p.close();
    }

    /** The store's markers are routed by the key of its own number, at any parallelism. */
    @Test
    void theStoresMarkersCarryTheKeyOfItsIndexSubtask() throws Exception {
        for (int sub = 0; sub < 3; sub++) {
            var p = new Pipeline(index(false), null, 3, sub).start();
            List<HotChange> sent = p.store.extractOutputValues();
            assertThat(sent).extracting(c -> c.op).containsExactly(HotChange.Op.BEGIN, HotChange.Op.READY);
            for (HotChange c : sent) {
                assertThat(c.store).isEqualTo(sub);
                assertThat(c.stores).isEqualTo(3);
                assertThat(org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignKeyToParallelOperator(IndexRoute.of(c), 128, 3))
                        .isEqualTo(sub);
            }
            p.close();
        }
    }

    static Transition touch(String tenant, String id, double strength, long atMs) {
        Transition t = new Transition();
        t.kind = TransitionKind.HOT_TOUCH;
        t.tenant = tenant;
        t.memoryId = id;
        t.fromTier = Tier.HOT;
        t.toTier = Tier.HOT;
        t.strength = strength;
        t.atMs = atMs;
        t.halfLifeMs = 86_400_000;
        t.lastAccessMs = atMs;
        return t;
    }

    static Hit hitFor(PartialResult r, String id) {
        for (Hit h : r.hits) {
            if (h.memoryId.equals(id)) {
                return h;
            }
        }
        throw new AssertionError(id + " not in " + ids(r));
    }

    /**
     * Accesses are written to the store's keyed state (on its task, not the index's), so their facts
     * come back with the rebuild; a removal clears them.
     */
    @Test
    void accessFactsAreKeptByTheStoreAndRebuilt() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNear(p, base, 4);
        p.send(touch("a", "m1", 0.97, 5000));
        p.send(touch("a", "m3", 0.1, 7500));
        p.send(leave("a", "m3", TransitionKind.HOT_TO_WARM));
        assertThat(p.keyedFacts("a/m1").strength).isEqualTo(0.97);
        assertThat(p.keyedFacts("a/m3")).isNull();
        assertThat(hitFor(p.ask(query("a", base.words(), 4)), "m1").strength).isEqualTo(0.97);
        Snapshot snap = p.snapshot(1);
        p.close();

        var restored = new Pipeline(index(false), snap, 1, 0).start();
        PartialResult r = restored.ask(query("a", base.words(), 4));
        assertThat(ids(r)).containsExactly("m0", "m1", "m2");
        assertThat(hitFor(r, "m0").strength).isEqualTo(0.9);   // never touched: the facts of its HOT add
        assertThat(hitFor(r, "m0").updatedMs).isEqualTo(1000);
        assertThat(hitFor(r, "m1").strength).isEqualTo(0.97);
        assertThat(hitFor(r, "m1").updatedMs).isEqualTo(5000);
        assertThat(hitFor(r, "m1").lastAccessMs).isEqualTo(5000);
    }

    /**
     * Touches travel on an edge of their own, so the index may get a touch after the removal or
     * re-add that followed it, and the store may get a touch after either. Neither brings back a
     * removed memory nor older facts.
     */
    @Test
    void touchesThatArriveLateChangeNothing() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNear(p, base, 3);
        // The index gets m1's removal before the touch that came first.
        p.store.processElement(touch("a", "m1", 0.97, 5000), 0);
        p.store.processElement(leave("a", "m1", TransitionKind.HOT_TO_WARM), 0);
        p.store.processElement(warmStored("a", "m1", 0), 0);
        assertThat(p.pendingTouches()).extracting(c -> c.memoryId + ":" + c.facts.updatedMs).containsExactly("m1:5000");
        p.forwardChanges();
        p.forwardTouches();
        assertThat(ids(p.ask(query("a", base.words(), 3)))).containsExactly("m0", "m2");
        // The store gets a touch after the removal: nothing kept, nothing sent.
        p.send(touch("a", "m1", 0.98, 5500));
        assertThat(p.keyedFacts("a/m1")).isNull();
        assertThat(p.pendingTouches()).isEmpty();

        // m1 comes back at 8000; touches from before that, late at the store or at the index, keep its facts.
        Transition back = hot("a", "m1", flip(base, 20, 1).words());
        back.atMs = 8000;
        back.strength = 0.5;
        p.send(back);
        p.send(touch("a", "m1", 0.99, 7000));
        assertThat(p.keyedFacts("a/m1").updatedMs).isEqualTo(8000);
        assertThat(p.pendingTouches()).isEmpty();
        HotFacts old = new HotFacts();
        old.strength = 0.99;
        old.updatedMs = 7000;
        p.index.processElement1(HotChange.of(HotChange.Op.TOUCH, "a", "m1", null, old), 0);
        Hit m1 = hitFor(p.ask(query("a", base.words(), 3)), "m1");
        assertThat(m1.strength).isEqualTo(0.5);
        assertThat(m1.updatedMs).isEqualTo(8000);

        // A touch that overtakes a re-write of a HOT memory: the re-write keeps the newer facts, in the store and the index.
        p.store.processElement(touch("a", "m1", 0.93, 9000), 0);
        Transition rewrite = hot("a", "m1", flip(base, 20, 1).words());
        rewrite.kind = TransitionKind.UPDATED;
        rewrite.fromTier = Tier.HOT;
        rewrite.atMs = 8500;
        rewrite.strength = 0.6;
        p.store.processElement(rewrite, 0);
        p.forwardTouches();
        p.forwardChanges();
        assertThat(p.keyedFacts("a/m1").updatedMs).isEqualTo(9000);
        m1 = hitFor(p.ask(query("a", base.words(), 3)), "m1");
        assertThat(m1.strength).isEqualTo(0.93);
        assertThat(m1.updatedMs).isEqualTo(9000);

        // In time order a touch still wins, also within the same millisecond.
        p.send(touch("a", "m1", 0.95, 9000));
        assertThat(hitFor(p.ask(query("a", base.words(), 3)), "m1").strength).isEqualTo(0.95);
    }

    static Transition leaveAt(String tenant, String id, TransitionKind kind, long atMs) {
        Transition t = leave(tenant, id, kind);
        t.atMs = atMs;
        return t;
    }

    /** The WARM writer's word that WARM holds the memory that left HOT at {@code atMs}. */
    static Transition warmStored(String tenant, String id, long atMs) {
        return leaveAt(tenant, id, TransitionKind.WARM_STORED, atMs);
    }

    /** A departure for WARM, and the WARM writer's word that WARM holds the memory. */
    static void leftForWarm(Pipeline p, String tenant, String id) throws Exception {
        p.send(leave(tenant, id, TransitionKind.HOT_TO_WARM));
        p.send(warmStored(tenant, id, 0));
    }

    /**
     * A memory that leaves HOT for WARM stays searchable in the index until the WARM writer's word
     * for that departure (one per departure). A word may come before its departure (another edge);
     * the word of an earlier departure ends no later one, even within the same millisecond, nor
     * the stay of a memory that came back; a delete leaves at once. A restore leaves out a memory
     * still waiting (WARM holds everything from before the checkpoint).
     */
    @Test
    void aMemoryLeavingForWarmStaysSearchableUntilWarmHoldsIt() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNear(p, base, 6);
        p.send(leaveAt("a", "m1", TransitionKind.HOT_TO_WARM, 1500));
        p.send(leaveAt("a", "m2", TransitionKind.HOT_TO_WARM, 1500));
        p.send(leave("a", "m3", TransitionKind.DELETED));
        p.send(leaveAt("a", "m4", TransitionKind.HOT_TO_WARM, 1500));
        // m4 is deleted from WARM while it waits: it leaves the index at once.
        Transition deleted = leave("a", "m4", TransitionKind.DELETED);
        deleted.fromTier = Tier.WARM;
        p.send(deleted);
        assertThat(ids(p.ask(query("a", base.words(), 6)))).containsExactly("m0", "m1", "m2", "m5");
        assertThat(p.keyedFacts("a/m1")).isNull(); // gone from the store's state at once: no rebuild brings it back

        // m2 comes back to HOT before WARM held it (same millisecond): the word of that departure,
        // late, leaves it HOT.
        Transition back = hot("a", "m2", flip(base, 30, 2).words());
        back.kind = TransitionKind.WARM_TO_HOT;
        back.fromTier = Tier.WARM;
        back.atMs = 1500;
        p.send(back);
        p.send(warmStored("a", "m2", 1500));
        p.send(warmStored("a", "m1", 1500));
        // m4's word, owed for its departure before the delete, comes too.
        p.send(warmStored("a", "m4", 1500));
        assertThat(ids(p.ask(query("a", base.words(), 6)))).containsExactly("m0", "m2", "m5");
        // m2 leaves again, still in the same millisecond: it waits for this departure's own word.
        p.send(leaveAt("a", "m2", TransitionKind.HOT_TO_WARM, 1500));
        // m5's word overtakes its departure: the departure then leaves at once.
        p.send(warmStored("a", "m5", 1500));
        assertThat(ids(p.ask(query("a", base.words(), 6)))).containsExactly("m0", "m2", "m5");
        p.send(leaveAt("a", "m5", TransitionKind.HOT_TO_WARM, 1500));
        assertThat(ids(p.ask(query("a", base.words(), 6)))).containsExactly("m0", "m2");
        // m4, written anew, leaves HOT: the word owed for its earlier life was counted, so this
        // departure waits for its own.
        p.send(hot("a", "m4", flip(base, 50, 4).words()));
        p.send(leaveAt("a", "m4", TransitionKind.HOT_TO_WARM, 1600));
        assertThat(ids(p.ask(query("a", base.words(), 6)))).containsExactly("m0", "m2", "m4");
        Snapshot snap = p.snapshot(1);
        p.send(warmStored("a", "m2", 1500));
        p.send(warmStored("a", "m4", 1600));
        assertThat(ids(p.ask(query("a", base.words(), 6)))).containsExactly("m0");
        p.close();

        // Restored while m2 and m4 waited: the rebuilt index lacks them, and their words change nothing else.
        var restored = new Pipeline(index(false), snap, 1, 0).start();
        assertThat(ids(restored.ask(query("a", base.words(), 6)))).containsExactly("m0");
        restored.send(warmStored("a", "m2", 1500));
        restored.send(warmStored("a", "m4", 1600));
        assertThat(ids(restored.ask(query("a", base.words(), 6)))).containsExactly("m0");
        restored.close();
    }

    /** Scaled from one subtask to two, each store rebuilds its index subtask with its own key groups only. */
    @Test
    void aRescaledStoreRebuildsEachIndexSubtaskWithItsOwnKeys() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        int n = 40;
        for (int i = 0; i < n; i++) {
            p.send(hot("a", "m" + i, flip(base, 5 + i, i).words()));
            p.send(touch("a", "m" + i, 0.5 + i / 100.0, 10_000 + i));
        }
        Snapshot snap = p.snapshot(1);
        p.close();

        List<String> seen = new ArrayList<>();
        for (int sub = 0; sub < 2; sub++) {
            Snapshot part = new Snapshot(AbstractStreamOperatorTestHarness.repartitionOperatorState(snap.store(), 128, 1, 2, sub),
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(snap.index(), 128, 1, 2, sub));
            var s = new Pipeline(index(false), part, 2, sub).start();
            PartialResult r = s.ask(query("a", base.words(), n));
            assertThat(r.parts).isEqualTo(2);
            for (Hit hit : r.hits) {
                int i = Integer.parseInt(hit.memoryId.substring(1));
                assertThat(hit.strength).isEqualTo(0.5 + i / 100.0);
                assertThat(hit.updatedMs).isEqualTo(10_000 + i);
                assertThat(QueryMerger.subtaskOf("a/" + hit.memoryId, 128, 2)).isEqualTo(sub);
            }
            seen.addAll(ids(r));
            s.close();
        }
        assertThat(seen).hasSize(n).doesNotHaveDuplicates();
    }

    /**
     * A savepoint of the single-operator index (same uid) held the facts of later accesses in one
     * packed operator-state entry; restored into the store they go to keyed state, for memories
     * still HOT only.
     */
    @Test
    void factsOfTheEarlierIndexFormatAreMigratedOnRestore() throws Exception {
        var p = pipeline(index(false));
        Hdv base = Hdv.random(D, 1);
        sendNear(p, base, 3);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        out.writeInt(2);
        for (String key : List.of("a/m1", "a/gone")) {
            out.writeUTF(key);
            out.writeDouble(0.77);
            out.writeLong(8000);
            out.writeDouble(3_600_000);
            out.writeLong(8500);
        }
        p.store.getOperator().getOperatorStateBackend().getUnionListState(new org.apache.flink.api.common.state.ListStateDescriptor<>(
                HotStore.LEGACY_FACTS, org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO))
                .add(bytes.toByteArray());
        Snapshot snap = p.snapshot(1);
        p.close();

        var restored = new Pipeline(index(false), snap, 1, 0).start();
        assertThat(restored.keyedFacts("a/gone")).isNull();
        PartialResult r = restored.ask(query("a", base.words(), 3));
        assertThat(hitFor(r, "m1").strength).isEqualTo(0.77);
        assertThat(hitFor(r, "m1").halfLifeMs).isEqualTo(3_600_000);
        assertThat(hitFor(r, "m1").lastAccessMs).isEqualTo(8500);
        assertThat(hitFor(r, "m0").strength).isEqualTo(0.9);
        // Read once: the next snapshot no longer carries the entry.
        Snapshot again = restored.snapshot(2);
        restored.close();
        var later = new Pipeline(index(false), again, 1, 0).start();
        assertThat(hitFor(later.ask(query("a", base.words(), 3)), "m1").strength).isEqualTo(0.77);
        later.close();
    }

    /**
     * The first index opened in a JVM runs the warm-up searches on a thread of its own, and they
     * find what they look for; later opens leave it to that one, and 0 searches starts none.
     */
    @Test
    void theFirstIndexOpenedInAJvmWarmsUpTheSearchOnAThreadOfItsOwn() throws Exception {
        HotIndex.forgetWarmUp();
        var first = pipeline(index(true).withWarmUp(300));
        Thread t = first.fn.warmUpThread();
        assertThat(t).isNotNull().isNotSameAs(Thread.currentThread());
        assertThat(t.getName()).isEqualTo("hot-index-warm-up");
        Hdv base = Hdv.random(D, 1);
        first.send(hot("a", "m", base.words()));
        assertThat(ids(first.ask(query("a", base.words(), 1)))).containsExactly("m"); // it answers meanwhile
        t.join(120_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(first.fn.warmUp().near()).isGreaterThan(200); // of 300: the rest far from every row, or in the small tenant
        assertThat(first.fn.warmUp().found()).isEqualTo(first.fn.warmUp().near());
        // Then the short searches that make the kernels' calls (each a row of the segment: it finds itself).
        assertThat(first.fn.warmUp().shortFound()).isEqualTo(HotSegment.SHORT_SEARCHES);
        var second = pipeline(index(true).withWarmUp(300));
        assertThat(second.fn.warmUpThread()).isNull();
        HotIndex.forgetWarmUp();
        var none = pipeline(index(true).withWarmUp(0));
        assertThat(none.fn.warmUpThread()).isNull();
        var exact = pipeline(index(false).withWarmUp(50));
        exact.fn.warmUpThread().join(120_000);
        assertThat(exact.fn.warmUp().near()).isGreaterThan(30);
        assertThat(exact.fn.warmUp().found()).isEqualTo(exact.fn.warmUp().near());
        assertThat(exact.fn.warmUp().shortFound()).isEqualTo(HotSegment.SHORT_SEARCHES);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> index(true).withWarmUp(-1))
                .isInstanceOf(IllegalArgumentException.class);
        for (var p : List.of(first, second, none, exact)) {
            p.close();
        }
    }

    /** haim.gpu.enabled without a usable GPU: with fallback the index answers on the CPU, without it fails clearly. */
    @Test
    void gpuSettingFallsBackToTheCpuOrFailsWithTheReason() throws Exception {
        String why = io.mnemocore.hdv.kernel.CudaKernel.unavailableReason();
        org.junit.jupiter.api.Assumptions.assumeTrue(why != null, "a GPU is present here");
        var p = pipeline(new HotIndex(D, "cuda", 1, 0, true, false, 128, 8, 4, 0));
        Hdv base = Hdv.random(D, 1);
        p.send(hot("a", "m", base.words()));
        assertThat(ids(p.ask(query("a", base.words(), 1)))).containsExactly("m");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pipeline(new HotIndex(D, "cuda", 1, 0, false, false, 128, 8, 4, 0)))
                .hasStackTraceContaining(why);
    }

    /**
     * Clustered data (as real memories are): the approximate search (sketch scan, exact rescoring)
     * finds the exact top-10, compared with the reference kernel over the same rows, at each sketch
     * size the kernel has its own loop for, with candidates cut at 4 standard deviations.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1024, 512, 256})
    void approximateSearchMatchesExactOnClusteredData(int sketchBits) throws Exception {
        int dim = 16384;
        var p = pipeline(new HotIndex(dim, "cpu", 1, true, sketchBits, 16, 4, 0));
        Random rnd = new Random(5);
        HdvMatrix all = new HdvMatrix(dim, 2000);
        List<String> ids = new ArrayList<>();
        Hdv[] centers = new Hdv[40];
        for (int c = 0; c < centers.length; c++) {
            centers[c] = Hdv.random(dim, 1000 + c);
        }
        for (int i = 0; i < 2000; i++) {
            long[] v = flip(centers[i % centers.length], 500 + rnd.nextInt(2000), 7 * i).words();
            all.add(v);
            ids.add("m" + i);
            p.send(hot("a", "m" + i, v));
        }
        int found = 0, wanted = 0;
        try (ReferenceKernel ref = new ReferenceKernel()) {
            for (int q = 0; q < 40; q++) {
                long[] query = flip(centers[q], 1000, 99 + q).words();
                TopK exact = ref.topK(all, query, 10);
                PartialResult r = p.ask(query("a", query, 10));
                assertThat(r.approximate).isTrue();
                List<String> got = ids(r);
                for (int i = 0; i < exact.size(); i++) {
                    wanted++;
                    if (got.contains(ids.get(exact.row(i)))) {
                        found++;
                    }
                }
                // Whatever it returns carries the exact distance.
                for (Hit hit : r.hits) {
                    assertThat(hit.distance).isEqualTo(Hdv.hamming(all.row(ids.indexOf(hit.memoryId)), query));
                }
            }
        }
        assertThat((double) found / wanted).as("recall@10").isGreaterThanOrEqualTo(0.99);
    }

    static Hdv flip(Hdv base, int bits, long seed) {
        long[] w = Arrays.copyOf(base.words(), base.words().length);
        Random r = new Random(seed);
        java.util.BitSet done = new java.util.BitSet();
        int n = 0;
        int dim = w.length * 64;
        while (n < bits) {
            int b = r.nextInt(dim);
            if (!done.get(b)) {
                done.set(b);
                w[b >>> 6] ^= 1L << (b & 63);
                n++;
            }
        }
        return Hdv.wrap(dim, w);
    }
}
