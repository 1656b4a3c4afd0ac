package io.mnemocore.operators.ltp;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ingest.DlqRecord;
import io.mnemocore.operators.ingest.EventRouter;
import io.mnemocore.operators.tier.TierRouter;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The consolidator under Flink's keyed operator test harness: timers, state, snapshot/restore. */
class LtpConsolidatorTest {
    static final long H = 3_600_000L;
    static final LtpModel MODEL = new LtpModel(new LtpParams(H, 0.3, 1.5, 1000.0 * H, 0.7, 0.3, 0.05, 10.0 * H, 0.9));
    static final int D = 256;

    static KeyedOneInputStreamOperatorTestHarness<String, MemoryEvent, Transition> harness() throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new LtpConsolidator(MODEL, new io.mnemocore.hdv.encode.EncoderSpec("ngram", D, 42L, 3, "all-minilm-l6-v2"),
                        new io.mnemocore.operators.codec.EventCodec(io.mnemocore.operators.codec.CodecLimits.defaults(D)))), EventRouter::key, Types.STRING);
        h.open();
        return h;
    }

    static MemoryEvent write(String id, long ts, double ltp) {
        MemoryEvent e = new MemoryEvent();
        e.type = EventType.MEMORY_WRITE;
        e.tenant = "t";
        e.memoryId = id;
        e.contextId = "c";
        e.hdv = Hdv.random(D, id.hashCode()).words();
        e.ltpStrength = ltp;
        e.timestamp = ts;
        return e;
    }

    static MemoryEvent event(EventType type, String id, long ts) {
        MemoryEvent e = new MemoryEvent();
        e.type = type;
        e.tenant = "t";
        e.memoryId = id;
        e.timestamp = ts;
        e.accessCount = 1;
        return e;
    }

    static List<Transition> drain(KeyedOneInputStreamOperatorTestHarness<String, MemoryEvent, Transition> h) {
        List<Transition> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord) {
                out.add((Transition) ((StreamRecord<?>) o).getValue());
            }
        }
        h.getOutput().clear();
        return out;
    }

    static MemoryEvent trigger(String id, String tier, long ts) {
        MemoryEvent e = event(EventType.CONSOLIDATION_TRIGGER, id, ts);
        e.tier = tier;
        return e;
    }

    @Test
    void prewarmBringsPredictedMemoriesToHotWithoutCountingAUse() throws Exception {
        var h = harness();
        h.processElement(write("evicted", 0, 0.9), 0);
        h.processElement(write("faded", 0, 0.9), 0);
        h.processElement(trigger("evicted", "hot_to_warm", 10), 10); // the LRU pushed it out while strong
        long faded = MODEL.timeBelow(0.9, 0, H, 0.7);
        h.processElement(trigger("faded", "hot_to_warm", 10), 10);
        drain(h);
        h.processWatermark(faded + 1);
        drain(h);

        h.processElement(trigger("evicted", "prewarm", 20), 20);
        List<Transition> t = drain(h);
        assertThat(t).extracting(x -> x.kind + ":" + x.reason).containsExactly("WARM_TO_HOT:prewarm");
        MemoryState s = state(h, "t/evicted");
        assertThat(s.tier).isEqualTo(Tier.HOT);
        assertThat(s.accessCount).as("a prediction is not a use").isZero();
        assertThat(h.getSideOutput(LtpConsolidator.HOT_UPDATES)).extracting(StreamRecord::getValue)
                .extracting(u -> u.memoryId + ":" + u.kind + ":" + (u.hdv != null)).contains("evicted:WARM_TO_HOT:true");

        // A HOT one is refreshed in the LRU (a touch), also without counting a use.
        h.processElement(trigger("evicted", "prewarm", 21), 21);
        assertThat(drain(h)).extracting(x -> x.kind + ":" + x.reason).containsExactly("HOT_TOUCH:prewarm");
        assertThat(state(h, "t/evicted").accessCount).isZero();

        // One that faded below the HOT threshold is not pulled up: it would decay back at once.
        h.processElement(trigger("faded", "prewarm", faded + 2), faded + 2);
        assertThat(drain(h)).isEmpty();
        assertThat(state(h, "t/faded").tier).isEqualTo(Tier.WARM);

        // A COLD one is read back from its archive: the rehydrator gets its location.
        h.processElement(write("archived", 0, 0.9), 0);
        h.processElement(trigger("archived", "hot_to_warm", 1), 1);
        h.processElement(trigger("archived", "warm_to_cold", 2), 2);
        drain(h);
        h.processElement(trigger("archived", "prewarm", faded + 3), faded + 3);
        assertThat(drain(h)).extracting(x -> x.kind + ":" + x.reason).containsExactly("COLD_REACTIVATION:prewarm");
        assertThat(h.getSideOutput(TierRouter.REACTIVATIONS)).extracting(StreamRecord::getValue)
                .singleElement().satisfies(r -> assertThat(r.archive).isEqualTo(state(h, "t/archived").archive).isNotNull());

        // A memory nobody knows (deleted since the prediction) is skipped, not sent to the DLQ.
        h.processElement(trigger("never-written", "prewarm", 30), 30);
        assertThat(drain(h)).isEmpty();
        assertThat(h.getSideOutput(LtpConsolidator.REJECTED)).isNullOrEmpty();
        h.close();
    }

    @Test
    void accessesNamingAContextAndDeletesReachActiveInference() throws Exception {
        var h = harness();
        h.processElement(write("m", 0, 0.9), 0);
        MemoryEvent inKitchen = event(EventType.MEMORY_ACCESS, "m", 5);
        inKitchen.contextId = "kitchen";
        h.processElement(inKitchen, 5);
        h.processElement(event(EventType.MEMORY_ACCESS, "m", 6), 6); // no context: not a use in any context
        h.processElement(event(EventType.MEMORY_DELETE, "m", 7), 7);
        assertThat(h.getSideOutput(LtpConsolidator.CONTEXT_ACCESSES)).extracting(StreamRecord::getValue)
                .extracting(a -> a.contextId + ":" + a.memoryId + ":" + a.atMs + ":" + a.deleted)
                .containsExactly("kitchen:m:5:false", "c:m:7:true");
        h.close();
    }

    @Test
    void writeDecayArchiveOnOneTimerEach() throws Exception {
        var h = harness();
        h.processElement(write("m1", 0, 0.9), 0);
        List<Transition> t = drain(h);
        assertThat(t).hasSize(1);
        assertThat(t.get(0).kind).isEqualTo(TransitionKind.CREATED);
        assertThat(t.get(0).toTier).isEqualTo(Tier.HOT);
        assertThat(t.get(0).hdv).as("facts only on the main output").isNull();
        assertThat(tierUpdates(h)).singleElement().satisfies(u -> {
            assertThat(u.kind).isEqualTo(TransitionKind.CREATED);
            assertThat(u.hdv).isEqualTo(Hdv.random(D, "m1".hashCode()).words());
        });
        assertThat(h.numEventTimeTimers()).isEqualTo(1);

        long hotToWarm = MODEL.timeBelow(0.9, 0, H, 0.7);
        h.processWatermark(hotToWarm - 1);
        assertThat(drain(h)).isEmpty();
        h.processWatermark(hotToWarm);
        t = drain(h);
        assertThat(t).extracting(x -> x.kind).containsExactly(TransitionKind.HOT_TO_WARM);
        assertThat(t.get(0).strength).isLessThan(0.7);
        assertThat(t.get(0).reason).isEqualTo("decay");
        assertThat(h.numEventTimeTimers()).isEqualTo(1);

        // WARM -> COLD once weak (< 0.3, at ~1.58 h) and idle for 10 h: the idle rule decides.
        h.processWatermark(10 * H - 1);
        assertThat(drain(h)).isEmpty();
        h.processWatermark(10 * H);
        t = drain(h);
        assertThat(t).extracting(x -> x.kind).containsExactly(TransitionKind.WARM_TO_COLD);
        assertThat(tierUpdates(h)).extracting(u -> u.kind + ":" + (u.hdv != null))
                .as("the archive gets the vector").containsExactly("HOT_TO_WARM:true", "WARM_TO_COLD:true");
        assertThat(h.numEventTimeTimers()).isZero();
        MemoryState s = state(h, "t/m1");
        assertThat(s.tier).isEqualTo(Tier.COLD);
        assertThat(s.hdv).as("COLD keeps no vector in state").isNull();
        assertThat(content(h, "t/m1")).as("nor content").isNull();

        // An access to a COLD memory asks for rehydration.
        h.processElement(event(EventType.MEMORY_ACCESS, "m1", 11 * H), 11 * H);
        assertThat(drain(h)).extracting(x -> x.kind).containsExactly(TransitionKind.COLD_REACTIVATION);
        h.close();
    }

    @Test
    void accessesReinforceAndPromoteWithHysteresis() throws Exception {
        var h = harness();
        h.processElement(write("m", 0, 0.5), 0); // starts WARM
        assertThat(drain(h).get(0).toTier).isEqualTo(Tier.WARM);
        // 0.5 -> 0.65: no promotion (below 0.7 + 0.05).
        h.processElement(event(EventType.MEMORY_ACCESS, "m", 1), 1);
        assertThat(drain(h)).isEmpty();
        MemoryState s = state(h, "t/m");
        assertThat(s.strength).isCloseTo(0.65, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(s.halfLifeMs).isEqualTo(1.5 * H);
        assertThat(s.accessCount).isEqualTo(1);
        // 0.65 -> 0.755: promoted.
        h.processElement(event(EventType.MEMORY_ACCESS, "m", 2), 2);
        List<Transition> t = drain(h);
        assertThat(t).extracting(x -> x.kind).containsExactly(TransitionKind.WARM_TO_HOT);
        assertThat(tierUpdates(h)).extracting(u -> u.kind + ":" + (u.hdv != null)).containsExactly("CREATED:true", "WARM_TO_HOT:true");
        // Access while HOT: a touch for the LRU, no vector.
        h.processElement(event(EventType.MEMORY_ACCESS, "m", 3), 3);
        t = drain(h);
        assertThat(t).extracting(x -> x.kind).containsExactly(TransitionKind.HOT_TOUCH);
        assertThat(tierUpdates(h)).as("a touch reaches no tier store").isEmpty();
        assertThat(sideOutput(h, LtpConsolidator.HOT_TOUCHES)).as("but the HOT store, on its own edge, without a vector")
                .extracting(u -> u.kind + ":" + (u.hdv != null)).containsExactly("HOT_TOUCH:false");
        assertThat(h.numEventTimeTimers()).isEqualTo(1);
        h.close();
    }

    /** A WARM memory's delete reaches the HOT store too: it may still be in the HOT index after leaving HOT, waiting for its WARM write. */
    @Test
    void aWarmMemorysDeleteReachesTheHotStore() throws Exception {
        var h = harness();
        h.processElement(write("m", 0, 0.9), 0);
        h.processElement(trigger("m", "hot_to_warm", 10), 10);
        h.processElement(event(EventType.MEMORY_DELETE, "m", 20), 20);
        assertThat(sideOutput(h, LtpConsolidator.HOT_UPDATES)).extracting(u -> u.kind + ":" + u.fromTier + ":" + (u.hdv != null))
                .containsExactly("CREATED:null:true", "HOT_TO_WARM:HOT:false", "DELETED:WARM:false");
        h.close();
    }

    @Test
    void deleteRemovesStateAndTimerAndUnknownAccessIsRejected() throws Exception {
        var h = harness();
        h.processElement(write("m", 0, 0.9), 0);
        drain(h);
        h.processElement(event(EventType.MEMORY_DELETE, "m", 5), 5);
        List<Transition> t = drain(h);
        assertThat(t).extracting(x -> x.kind).containsExactly(TransitionKind.DELETED);
        assertThat(t.get(0).fromTier).isEqualTo(Tier.HOT);
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(state(h, "t/m")).isNull();

        h.processElement(event(EventType.MEMORY_ACCESS, "m", 6), 6);
        assertThat(drain(h)).isEmpty();
        var rejected = h.getSideOutput(LtpConsolidator.REJECTED);
        assertThat(rejected).hasSize(1);
        DlqRecord r = rejected.peek().getValue();
        assertThat(r.reason).isEqualTo("unknown_memory");
        var codec = new io.mnemocore.operators.codec.EventCodec(io.mnemocore.operators.codec.CodecLimits.defaults(D));
        assertThat(codec.decode(r.data, "6-0", null).event().memoryId).as("the DLQ keeps the event").isEqualTo("m");
        h.close();
    }

    @Test
    void triggersDemoteArchiveAndRehydrate() throws Exception {
        var h = harness();
        h.processElement(write("m", 0, 0.95), 0);
        drain(h);
        MemoryEvent trig = event(EventType.CONSOLIDATION_TRIGGER, "m", 10);
        trig.tier = "hot_to_warm";
        h.processElement(trig, 10);
        assertThat(drain(h)).extracting(x -> x.kind).containsExactly(TransitionKind.HOT_TO_WARM);
        h.processElement(trig, 11); // idempotent: already WARM
        assertThat(drain(h)).isEmpty();
        MemoryEvent cold = event(EventType.CONSOLIDATION_TRIGGER, "m", 12);
        cold.tier = "warm_to_cold";
        tierUpdates(h);
        h.processElement(cold, 12);
        assertThat(drain(h)).extracting(x -> x.kind).containsExactly(TransitionKind.WARM_TO_COLD);
        String archivedAt = tierUpdates(h).get(0).archive;
        assertThat(archivedAt).matches("1970-01-01/[0-9a-f]{16}/0");
        MemoryEvent re = event(EventType.CONSOLIDATION_TRIGGER, "m", 13);
        re.tier = "rehydrate";
        h.processElement(re, 13);
        assertThat(drain(h)).extracting(x -> x.kind).containsExactly(TransitionKind.COLD_REACTIVATION);
        // The trigger asks the rehydrator for that archive row, as an access does.
        assertThat(tierUpdates(h)).singleElement().satisfies(u -> assertThat(u.archive).isEqualTo(archivedAt));
        h.close();
    }

    @Test
    void anAccessLeavesTheEarlierTimerWhichFiresFindsNothingDueAndMovesOn() throws Exception {
        var h = harness();
        h.processElement(write("m", 0, 0.9), 0);
        drain(h);
        long firstDemotion = MODEL.timeBelow(0.9, 0, H, 0.7);
        assertThat(state(h, "t/m").timerMs).isEqualTo(firstDemotion);

        h.processElement(event(EventType.MEMORY_ACCESS, "m", 10), 10);
        assertThat(drain(h)).extracting(x -> x.kind).containsExactly(TransitionKind.HOT_TOUCH);
        MemoryState s = state(h, "t/m");
        long demotion = MODEL.nextTransitionAt(s.tier, s.strength, s.updatedMs, s.halfLifeMs, s.lastAccessMs);
        assertThat(demotion).as("the access moved the demotion later").isGreaterThan(firstDemotion);
        assertThat(s.timerMs).as("the timer set stays").isEqualTo(firstDemotion);
        assertThat(h.numEventTimeTimers()).isEqualTo(1);

        h.processWatermark(firstDemotion);
        assertThat(drain(h)).as("fired early: nothing due").isEmpty();
        assertThat(state(h, "t/m").tier).isEqualTo(Tier.HOT);
        assertThat(state(h, "t/m").timerMs).isEqualTo(demotion);
        assertThat(h.numEventTimeTimers()).isEqualTo(1);

        h.processWatermark(demotion - 1);
        assertThat(drain(h)).isEmpty();
        h.processWatermark(demotion);
        assertThat(drain(h)).extracting(x -> x.kind + "@" + x.atMs).containsExactly("HOT_TO_WARM@" + demotion);
        h.close();
    }

    @Test
    void resultDoesNotDependOnWhetherTheWatermarkCameFirst() throws Exception {
        long demote = MODEL.timeBelow(0.9, 0, H, 0.7);
        List<String> runs = new ArrayList<>();
        for (boolean watermarkFirst : new boolean[] {true, false}) {
            var h = harness();
            h.processElement(write("m", 0, 0.9), 0);
            if (watermarkFirst) {
                h.processWatermark(demote + 10);
            }
            h.processElement(event(EventType.MEMORY_ACCESS, "m", demote + 20), demote + 20);
            h.processWatermark(demote + 30);
            MemoryState st = state(h, "t/m");
            runs.add(drain(h).stream().map(x -> x.kind + "@" + x.atMs).reduce("", (a, b) -> a + " " + b)
                    + " | " + st.tier + " " + st.strength + " " + st.timerMs);
            assertThat(h.numEventTimeTimers()).isEqualTo(1);
            h.close();
        }
        assertThat(runs.get(1)).isEqualTo(runs.get(0));
        assertThat(runs.get(0)).contains("HOT_TO_WARM@" + demote);
    }

    @Test
    void restoreNeitherLosesNorRepeatsATransition() throws Exception {
        var h = harness();
        h.processElement(write("a", 0, 0.9), 0);
        h.processElement(write("b", 0, 0.75), 0);
        long aDemotes = MODEL.timeBelow(0.9, 0, H, 0.7);
        long bDemotes = MODEL.timeBelow(0.75, 0, H, 0.7);
        h.processWatermark(bDemotes); // b demoted before the snapshot
        drain(h);
        OperatorSubtaskState snap = h.snapshot(1, bDemotes);
        h.processWatermark(aDemotes); // a demoted after it: this output is "lost" with the failure
        assertThat(drain(h)).extracting(x -> x.memoryId).containsExactly("a");
        h.close();

        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new LtpConsolidator(MODEL, new io.mnemocore.hdv.encode.EncoderSpec("ngram", D, 42L, 3, "all-minilm-l6-v2"),
                        new io.mnemocore.operators.codec.EventCodec(io.mnemocore.operators.codec.CodecLimits.defaults(D)))), EventRouter::key, Types.STRING);
        restored.initializeState(snap);
        restored.open();
        restored.processWatermark(aDemotes);
        List<Transition> t = drain(restored);
        // a's demotion happens again (it was not in the snapshot); b's does not repeat.
        assertThat(t).extracting(x -> x.memoryId + ":" + x.kind).containsExactly("a:HOT_TO_WARM");
        assertThat(state(restored, "t/b").tier).isEqualTo(Tier.WARM);
        restored.close();
    }

    /** Every transition sent with content or archive facts to the HOT index or a tier store, each once. */
    static List<Transition> tierUpdates(KeyedOneInputStreamOperatorTestHarness<String, MemoryEvent, Transition> h) {
        java.util.Map<String, Transition> out = new java.util.LinkedHashMap<>();
        for (var tag : List.of(TierRouter.WARM_UPDATES, TierRouter.ARCHIVE_ROWS, TierRouter.SIDECAR_ROWS, TierRouter.REACTIVATIONS,
                LtpConsolidator.HOT_UPDATES)) {
            var q = h.getSideOutput(tag);
            while (q != null && !q.isEmpty()) {
                Transition t = q.poll().getValue();
                out.merge(t.id(), t, (a, b) -> a.hdv != null ? a : b); // a HOT removal carries no vector; a store's copy does
            }
        }
        return new ArrayList<>(out.values());
    }

    static List<Transition> sideOutput(KeyedOneInputStreamOperatorTestHarness<String, MemoryEvent, Transition> h,
                                       org.apache.flink.util.OutputTag<Transition> tag) {
        List<Transition> out = new ArrayList<>();
        var q = h.getSideOutput(tag);
        while (q != null && !q.isEmpty()) {
            out.add(q.poll().getValue());
        }
        return out;
    }

    static MemoryContent content(KeyedOneInputStreamOperatorTestHarness<String, MemoryEvent, Transition> h, String key) throws Exception {
        h.getOperator().getKeyedStateBackend().setCurrentKey(key);
        return h.getOperator().getKeyedStateBackend()
                .getPartitionedState(org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE, LtpConsolidator.contentDescriptor())
                .value();
    }

    /** An access rewrites the facts only; the vector sits in its own state, written once per write. */
    @Test
    void contentLivesApartFromFactsAndOldStateMovesOnFirstTouch() throws Exception {
        var h = harness();
        h.processElement(write("m1", 0, 0.9), 0);
        assertThat(state(h, "t/m1").hdv).isNull();
        assertThat(content(h, "t/m1").hdv).isEqualTo(Hdv.random(D, "m1".hashCode()).words());

        // State as savepoint v1 wrote it: vector and payload inside the facts.
        MemoryState legacy = new MemoryState();
        legacy.tier = Tier.HOT;
        legacy.strength = 0.95;
        legacy.updatedMs = 0;
        legacy.halfLifeMs = MODEL.params().halfLifeMs;
        long[] vector = Hdv.random(D, 5).words();
        byte[] payload = {(byte) 0xa1, 0x78};
        legacy.hdv = vector.clone(); // the heap backend in the harness keeps this very object
        legacy.payload = payload.clone();
        legacy.writes = 1;
        h.getOperator().getKeyedStateBackend().setCurrentKey("t/old");
        h.getOperator().getKeyedStateBackend().getPartitionedState(org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE, LtpConsolidator.stateDescriptor()).update(legacy);
        h.processElement(event(EventType.MEMORY_ACCESS, "old", 1), 1);
        assertThat(state(h, "t/old").hdv).isNull();
        assertThat(state(h, "t/old").accessCount).isEqualTo(1);
        assertThat(content(h, "t/old").hdv).isEqualTo(vector);
        assertThat(content(h, "t/old").payload).isEqualTo(payload);
        MemoryEvent trig = event(EventType.CONSOLIDATION_TRIGGER, "old", 2);
        trig.tier = "hot_to_warm";
        h.processElement(trig, 2);
        assertThat(tierUpdates(h)).filteredOn(u -> u.memoryId.equals("old") && u.kind != TransitionKind.HOT_TOUCH).singleElement()
                .satisfies(u -> assertThat(u.hdv).isEqualTo(vector));
    }

    static MemoryState state(KeyedOneInputStreamOperatorTestHarness<String, MemoryEvent, Transition> h, String key) throws Exception {
        h.getOperator().getKeyedStateBackend().setCurrentKey(key);
        return h.getOperator().getKeyedStateBackend()
                .getPartitionedState(org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE, LtpConsolidator.stateDescriptor())
                .value();
    }

    static MemoryEvent restore(String id, long ts, String archive, String origin) {
        MemoryEvent e = event(EventType.MEMORY_RESTORE, id, ts);
        e.hdv = Hdv.random(D, id.hashCode()).words();
        e.payload = new byte[] {(byte) 0xc0};
        e.ltpStrength = 0.2;
        e.updatedMs = ts - H;
        e.halfLifeMs = H;
        e.lastAccess = ts - H;
        e.archive = archive;
        e.origin = origin;
        return e;
    }

    @Test
    void archiveRowsAreNumberedPerBatchAndRestoresApplyOnlyToThatRow() throws Exception {
        var h = harness();
        for (String id : List.of("m1", "m2", "m3")) {
            h.processElement(write(id, 0, 0.5), 0); // WARM from the start
        }
        h.processWatermark(10 * H + 1); // idle for the archive age: all COLD
        List<Transition> cold = tierUpdates(h).stream().filter(u -> u.kind == TransitionKind.WARM_TO_COLD).toList();
        assertThat(cold).hasSize(3).allSatisfy(u -> assertThat(u.hdv).isNotNull());
        String batch = cold.get(0).archive.split("/")[1];
        // Rows in the order the timers fired (the order the archive sinks receive them).
        assertThat(cold).extracting(u -> u.archive)
                .containsExactly("1970-01-01/" + batch + "/0", "1970-01-01/" + batch + "/1", "1970-01-01/" + batch + "/2");
        java.util.Map<String, String> at = new java.util.HashMap<>();
        cold.forEach(u -> at.put(u.memoryId, u.archive));
        drain(h);
        // A checkpoint closes the batch: later archives start a new one at row 0.
        h.snapshot(1, 10 * H + 2);
        h.processElement(write("m4", 11 * H, 0.5), 11 * H);
        h.processWatermark(22 * H);
        Transition m4 = tierUpdates(h).stream().filter(u -> u.kind == TransitionKind.WARM_TO_COLD).findFirst().orElseThrow();
        assertThat(m4.archive).endsWith("/0").doesNotContain(batch);
        drain(h);

        // An access asks for the vector back, naming the archive row.
        h.processElement(event(EventType.MEMORY_ACCESS, "m1", 22 * H + 5), 22 * H + 5);
        assertThat(tierUpdates(h)).singleElement().satisfies(u -> {
            assertThat(u.kind).isEqualTo(TransitionKind.COLD_REACTIVATION);
            assertThat(u.archive).isEqualTo(at.get("m1"));
        });
        drain(h);
        // A restore naming another row (an older archive) changes nothing.
        h.processElement(restore("m1", 22 * H + 6, at.get("m2"), "access"), 22 * H + 6);
        assertThat(drain(h)).isEmpty();
        h.processElement(restore("m1", 22 * H + 7, at.get("m1"), "access"), 22 * H + 7);
        assertThat(tierUpdates(h)).singleElement().satisfies(u -> {
            assertThat(u.kind).isIn(TransitionKind.COLD_TO_WARM, TransitionKind.COLD_TO_HOT);
            assertThat(u.hdv).isEqualTo(Hdv.random(D, "m1".hashCode()).words());
            assertThat(u.payload).containsExactly(0xc0);
        });
        drain(h);
        h.processElement(restore("m1", 22 * H + 8, at.get("m1"), "access"), 22 * H + 8);
        assertThat(drain(h)).as("already restored").isEmpty();

        // Deleting a COLD memory records a tombstone for its archive row.
        h.processElement(event(EventType.MEMORY_DELETE, "m2", 22 * H + 9), 22 * H + 9);
        assertThat(tierUpdates(h)).singleElement().satisfies(u -> {
            assertThat(u.kind).isEqualTo(TransitionKind.DELETED);
            assertThat(u.fromTier).isEqualTo(Tier.COLD);
            assertThat(u.archive).isEqualTo(at.get("m2"));
            assertThat(io.mnemocore.operators.tier.ColdArchive.isTombstone(u)).isTrue();
        });
        drain(h);
        // The job's own rehydration never resurrects it; a batch rehydration (state lost) brings it back.
        h.processElement(restore("m2", 22 * H + 10, at.get("m2"), "access"), 22 * H + 10);
        assertThat(drain(h)).isEmpty();
        h.processElement(restore("m2", 22 * H + 11, at.get("m2"), "batch"), 22 * H + 11);
        assertThat(drain(h)).singleElement().satisfies(u -> {
            assertThat(u.kind).isEqualTo(TransitionKind.COLD_TO_WARM);
            assertThat(u.reason).isEqualTo("rehydrate");
        });
        h.close();
    }

    @Test
    void theHotIndexGetsVectorsOfMemoriesEnteringHotAndOnlyIdsOfThoseLeaving() throws Exception {
        var h = harness();
        h.processElement(write("m1", 0, 0.9), 0);
        h.processElement(event(EventType.MEMORY_ACCESS, "m1", 1), 1);
        h.processWatermark(10 * H + 1); // HOT -> WARM, then WARM -> COLD
        // Adds and removals on one output, in their order; an access's touch on another.
        assertThat(sideOutput(h, LtpConsolidator.HOT_UPDATES)).extracting(u -> u.kind + ":" + (u.hdv != null))
                .containsExactly("CREATED:true", "HOT_TO_WARM:false");
        assertThat(sideOutput(h, LtpConsolidator.HOT_TOUCHES)).extracting(u -> u.kind + ":" + u.atMs + ":" + (u.hdv != null))
                .containsExactly("HOT_TOUCH:1:false");
        assertThat(sideOutput(h, TierRouter.WARM_UPDATES)).extracting(u -> u.kind + ":" + (u.hdv != null))
                .containsExactly("HOT_TO_WARM:true", "WARM_TO_COLD:true");
        h.close();
    }
}
