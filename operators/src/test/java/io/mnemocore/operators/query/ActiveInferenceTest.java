package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Bundler;
import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class ActiveInferenceTest {
    static final int D = 16384;

    static KeyedTwoInputStreamOperatorTestHarness<String, ContextAccess, Query, Query> harness(int window, boolean enabled)
            throws Exception {
        var h = unopened(new ActiveInference(D, window, enabled, true));
        h.open();
        return h;
    }

    /** A harness around the job's operator for {@code fn}, to restore state into or to open. */
    static KeyedTwoInputStreamOperatorTestHarness<String, ContextAccess, Query, Query> unopened(ActiveInference fn) throws Exception {
        return new KeyedTwoInputStreamOperatorTestHarness<>(new ActiveInference.Operator(fn),
                (ContextAccess a) -> ContextAccess.key(a.tenant, a.contextId),
                (Query q) -> ContextAccess.key(q.tenant, q.contextId), Types.STRING);
    }

    static void use(KeyedTwoInputStreamOperatorTestHarness<String, ContextAccess, Query, Query> h, String context, String id, long at)
            throws Exception {
        h.processElement1(new StreamRecord<>(new ContextAccess("t", context, id, at, false)));
    }

    /** Uses of m0 .. m(steps-1) in context "routine", one a second, {@code rounds} times over; returns the last use's time. */
    static long routine(KeyedTwoInputStreamOperatorTestHarness<String, ContextAccess, Query, Query> h, int steps, int rounds)
            throws Exception {
        long at = 0;
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < steps; i++) {
                use(h, "routine", "m" + i, at += 1_000);
            }
        }
        return at;
    }

    static Query ask(KeyedTwoInputStreamOperatorTestHarness<String, ContextAccess, Query, Query> h, String kind, String context,
                     int k, long windowMs) throws Exception {
        Query q = new Query();
        q.queryId = "q" + System.nanoTime();
        q.tenant = "t";
        q.kind = kind;
        q.contextId = context;
        q.k = k;
        q.hdv = Hdv.random(D, 1).words();
        q.predictionWindowMs = windowMs;
        int before = h.extractOutputValues().size();
        h.processElement2(new StreamRecord<>(q));
        List<Query> out = h.extractOutputValues();
        assertThat(out).hasSize(before + 1);
        return out.get(out.size() - 1);
    }

    /** An inference.predict "z" whose context_hdv is all zeros, which says that it has no context vector. */
    static Query askWithoutVector(KeyedTwoInputStreamOperatorTestHarness<String, ContextAccess, Query, Query> h, String context,
                                 int k) throws Exception {
        Query q = new Query();
        q.queryId = "z";
        q.tenant = "t";
        q.kind = "inference.predict";
        q.contextId = context;
        q.k = k;
        q.hdv = new long[D / 64];
        h.processElement2(new StreamRecord<>(q));
        List<Query> out = h.extractOutputValues();
        return out.get(out.size() - 1);
    }

    /** The rerank's distance to a memory's item vector, streamed, is the distance to the vector itself. */
    @Test
    void itemDistanceIsTheDistanceToTheItemVector() {
        long[] hologram = new Bundler(D).addWords(ActiveInference.item("t", "a", D)).addWords(ActiveInference.item("t", "b", D))
                .addWords(ActiveInference.item("t", "c", D)).majority().words();
        for (String id : new String[] {"a", "b", "c", "d", "m-17", "ünïcode"}) {
            for (String tenant : new String[] {"t", "other"}) {
                assertThat(ActiveInference.itemDistance(tenant, id, hologram, D))
                        .isEqualTo(Hdv.hamming(ActiveInference.item(tenant, id, D), hologram));
            }
        }
        assertThat(ActiveInference.itemDistance("t", "a", ActiveInference.item("t", "a", D), D)).isZero();
    }

    @Test
    void predictsWhatFollowedTheLastUseAndAsksForItToBePrewarmed() throws Exception {
        var h = harness(64, true);
        long at = routine(h, 10, 3);
        use(h, "routine", "m0", at += 1_000);
        use(h, "routine", "m1", at += 1_000);
        // One use per second: a 2.5 s window looks three steps ahead.
        Query p = ask(h, "inference.predict", "routine", 5, 2_500);
        assertThat(p.predicted).startsWith("m2", "m3", "m4");
        assertThat(p.contextHologram).as("predictions are not reranked").isNull();
        for (int d : p.predictedDistance) {
            assertThat(d).isLessThan(D / 2 - 6 * 64);
        }
        var prewarm = h.getSideOutput(ActiveInference.PREWARM);
        assertThat(prewarm).hasSize(1);
        MemoryEvent e = prewarm.iterator().next().getValue();
        assertThat(e.type).isEqualTo(EventType.CONSOLIDATION_TRIGGER);
        assertThat(e.tier).isEqualTo("prewarm");
        assertThat(e.tenant).isEqualTo("t");
        assertThat(e.memoryIds).containsExactly(p.predicted);
        // A one-step window predicts one step, plus only clearly predicted runners-up (none here).
        assertThat(ask(h, "inference.predict", "routine", 5, 0).predicted).containsExactly("m2");
    }

    /**
     * A history that predicts fewer than k memories is topped up by the context_hdv's nearest (the
     * HOT index, the WARM tier and the reply do that); not when it fills k, not without a context
     * vector (all zeros), and a query is never topped up.
     */
    @Test
    void aHistoryThatPredictsFewerThanKIsToppedUpByItsContextVector() throws Exception {
        var h = harness(64, true);
        routine(h, 5, 3);
        Query few = ask(h, "inference.predict", "routine", 5, 0);
        assertThat(few.predicted).containsExactly("m0");
        assertThat(few.predictsFromHistory()).isTrue();
        assertThat(few.contentTopUp).isTrue();
        assertThat(few.searchesByContent()).isTrue();

        Query full = ask(h, "inference.predict", "routine", 1, 0);
        assertThat(full.predicted).containsExactly("m0");
        assertThat(full.contentTopUp).isFalse();
        assertThat(full.searchesByContent()).isFalse();

        Query out = askWithoutVector(h, "routine", 5);
        assertThat(out.predicted).containsExactly("m0");
        assertThat(out.contentTopUp).isFalse();

        assertThat(ask(h, "query", "routine", 5, 0).contentTopUp).isFalse();
    }

    @Test
    void branchesAreAllPredictedAndNoiseDoesNotDrownTheSequence() throws Exception {
        var h = harness(64, true);
        long at = 0;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int round = 0; round < 6; round++) {
            use(h, "c", "start", at += 1_000);
            use(h, "c", round % 2 == 0 ? "left" : "right", at += 1_000); // start is followed by either
            for (int i = 0; i < 5; i++) {
                use(h, "c", "noise-" + rnd.nextInt(1_000), at += 1_000);
            }
        }
        use(h, "c", "start", at += 1_000);
        Query p = ask(h, "inference.predict", "c", 2, 0);
        assertThat(p.predicted).containsExactlyInAnyOrder("left", "right");
    }

    @Test
    void queriesInAContextCarryItsHologramOthersDoNot() throws Exception {
        var h = harness(8, true);
        for (int i = 0; i < 12; i++) {
            use(h, "home", "h" + i, i);
        }
        Query q = ask(h, "query", "home", 3, 0);
        assertThat(q.contextHologram).isNotNull();
        // The window holds the last 8 uses: their items are close to the hologram, older ones are not.
        int member = Hdv.hamming(ActiveInference.item("t", "h11", D), q.contextHologram);
        int evicted = Hdv.hamming(ActiveInference.item("t", "h0", D), q.contextHologram);
        assertThat(member).isLessThan(D / 2 - 1_000);
        assertThat(evicted).isBetween(D / 2 - 6 * 64, D / 2 + 6 * 64);
        assertThat(ask(h, "query", "work", 3, 0).contextHologram).isNull();
        assertThat(h.getSideOutput(ActiveInference.PREWARM)).isNullOrEmpty();
    }

    @Test
    void aDeletedMemoryIsForgottenByItsContext() throws Exception {
        var h = harness(64, true);
        for (int round = 0; round < 3; round++) {
            use(h, "c", "a", round * 10 + 1);
            use(h, "c", "b", round * 10 + 2);
        }
        use(h, "c", "a", 100);
        assertThat(ask(h, "inference.predict", "c", 1, 0).predicted).containsExactly("b");
        h.processElement1(new StreamRecord<>(new ContextAccess("t", "c", "b", 101, true)));
        // Only "a" is left: the history predicts nothing, so the prediction is left to the context_hdv.
        assertThat(ask(h, "inference.predict", "c", 3, 0).predictsByContent()).isTrue();
    }

    /**
     * The blueprint's inference.predict carries a context_hdv and no context_id: with no history to
     * walk, the prediction is left to that vector's nearest memories (QueryReplies), and nothing is
     * pre-warmed here; an all-zero vector (no context vector at all) predicts nothing.
     */
    @Test
    void withNoHistoryThePredictionIsLeftToTheContextVector() throws Exception {
        var h = harness(64, true);
        long at = routine(h, 5, 3);
        Query blueprint = ask(h, "inference.predict", null, 3, 60_000);
        assertThat(blueprint.predictsByContent()).isTrue();
        assertThat(blueprint.predictedDistance).isNull();
        assertThat(ask(h, "inference.predict", "never-used", 3, 0).predictsByContent()).isTrue();
        assertThat(h.getSideOutput(ActiveInference.PREWARM)).isNullOrEmpty();

        Query out = askWithoutVector(h, null, 3);
        assertThat(out.queryId).isEqualTo("z");
        assertThat(out.predicted).isEmpty();
        assertThat(out.predictsFromHistory()).as("answered, with nothing").isTrue();

        // A context whose history does predict is answered from it, not by content.
        assertThat(ask(h, "inference.predict", "routine", 3, 0).predicted).startsWith("m0");
    }

    /**
     * Uses stay on the heap until the next snapshot writes them (not a RocksDB read and write per
     * use); a job restored from that snapshot predicts as before, and a trace emptied by a deletion
     * leaves state at the snapshot after.
     */
    @Test
    void usesReachStateBeforeTheSnapshotBarrierAndARestoredJobPredictsFromThem() throws Exception {
        var h = harness(64, true);
        long at = routine(h, 5, 3);
        use(h, "solo", "x", at += 1_000);
        assertThat(h.numKeyedStateEntries()).as("nothing written per use").isZero();
        Query before = ask(h, "inference.predict", "routine", 3, 0);
        assertThat(before.predicted).startsWith("m0");
        h.prepareSnapshotPreBarrier(1); // as the task does before each barrier (the harness's snapshot does not)
        var snapshot = h.snapshot(1, 1);
        assertThat(h.numKeyedStateEntries()).isEqualTo(2);
        h.processElement1(new StreamRecord<>(new ContextAccess("t", "solo", "x", at += 1_000, true)));
        h.prepareSnapshotPreBarrier(2);
        h.snapshot(2, 2);
        assertThat(h.numKeyedStateEntries()).as("the emptied trace is cleared").isEqualTo(1);
        h.close();

        var restored = unopened(new ActiveInference(D, 64, true, true));
        restored.initializeState(snapshot);
        restored.open();
        assertThat(ask(restored, "inference.predict", "routine", 3, 0).predicted).containsExactly(before.predicted);
        assertThat(ask(restored, "query", "solo", 3, 0).contextHologram).as("restored from the first snapshot").isNotNull();
    }

    /** A context's window repeats its memories query after query: their item vectors are made once, up to a bound. */
    @Test
    void itemVectorsAreCachedUpToTheirBound() throws Exception {
        ActiveInference fn = new ActiveInference(D, 64, true, true);
        var h = unopened(fn);
        h.open();
        for (int i = 0; i < 10; i++) {
            use(h, "c", "m" + (i % 4), i);
        }
        Query first = ask(h, "query", "c", 3, 0);
        assertThat(fn.cachedItemCount()).isEqualTo(4);
        long[] m0 = fn.cachedItem("t", "m0");
        assertThat(m0).isEqualTo(ActiveInference.item("t", "m0", D));
        assertThat(fn.cachedItem("t", "m0")).isSameAs(m0);
        assertThat(ask(h, "query", "c", 3, 0).contextHologram).isEqualTo(first.contextHologram);
        assertThat(fn.cachedItemCount()).isEqualTo(4);
        int bound = ActiveInference.cachedItems(D);
        assertThat(bound).isEqualTo(4096);
        for (int i = 0; i < bound + 10; i++) {
            fn.cachedItem("t", "other-" + i);
        }
        assertThat(fn.cachedItemCount()).isEqualTo(bound);
        assertThat(fn.cachedItem("t", "other-" + (bound + 9))).isEqualTo(ActiveInference.item("t", "other-" + (bound + 9), D));
    }

    @Test
    void disabledItPassesQueriesThroughAndPredictsNothing() throws Exception {
        var h = harness(64, false);
        for (int i = 0; i < 10; i++) {
            use(h, "c", "m" + (i % 2), i);
        }
        assertThat(ask(h, "inference.predict", "c", 3, 0).predicted).isEmpty();
        assertThat(ask(h, "query", "c", 3, 0).contextHologram).isNull();
        assertThat(h.numKeyedStateEntries()).isZero();
    }

    @Test
    void aCopyOfATraceDoesNotChangeWithIt() {
        ContextTrace t = new ContextTrace(4);
        t.add("a", 10);
        ContextTrace c = t.copy();
        t.add("b", 20);
        t.remove("a");
        assertThat(c.size).isEqualTo(1);
        assertThat(c.id(0)).isEqualTo("a");
        assertThat(t.id(0)).isEqualTo("b");
    }

    @Test
    void usesArrivingOutOfOrderArePlacedWhenTheyHappened() {
        ContextTrace t = new ContextTrace(4);
        t.add("a", 10);
        t.add("c", 30);
        t.add("b", 20); // from another consolidator subtask, late
        t.add("d", 40);
        t.add("e", 50); // the window is full: the oldest goes
        t.add("too-old", 5);
        t.add("c2", 30); // a tie keeps arrival order
        java.util.List<String> order = new java.util.ArrayList<>();
        for (int i = 0; i < t.size; i++) {
            order.add(t.id(i) + "@" + t.at(i));
        }
        assertThat(order).containsExactly("c@30", "c2@30", "d@40", "e@50");
    }

    @Test
    void stepsFollowTheContextsAccessRate() {
        ContextTrace t = new ContextTrace(16);
        for (int i = 0; i < 5; i++) {
            t.add("m" + i, i * 200L);
        }
        assertThat(ActiveInference.stepsIn(10, t, 1_000)).isEqualTo(5);
        assertThat(ActiveInference.stepsIn(3, t, 1_000)).isEqualTo(3);
        assertThat(ActiveInference.stepsIn(10, t, 0)).isEqualTo(1);
    }
}
