package io.mnemocore.operators.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import io.mnemocore.testing.RedisServer;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WARM writer against the embedded WARM store (shared within one JVM, so the test reads what
 * the operator wrote), and against the Qdrant stand-in for a store that is down.
 */
class WarmTierWriterTest {
    static final int D = 16384;

    static WarmTierSpec embedded(Path dir) {
        return new WarmTierSpec(D, dir.toString(), "", "", "haim_warm", 24, 200, true, true, 2_000, 0, 3, 60_000);
    }

    static OneInputStreamOperatorTestHarness<Transition, Transition> harness(WarmTierSpec spec, int batch, long delayMs)
            throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(new WarmTierWriter(spec, batch, delayMs));
        h.setProcessingTime(0);
        h.open();
        return h;
    }

    static Transition move(String id, TransitionKind kind, Tier from, Tier to, long atMs, boolean withVector) {
        Transition t = new Transition();
        t.kind = kind;
        t.tenant = "a";
        t.memoryId = id;
        t.fromTier = from;
        t.toTier = to;
        t.atMs = atMs;
        t.strength = 0.5;
        t.halfLifeMs = 86_400_000;
        t.hdv = withVector ? Hdv.random(D, id.hashCode()).words() : null;
        return t;
    }

    static Transition demoted(String id, long atMs) {
        return move(id, TransitionKind.HOT_TO_WARM, Tier.HOT, Tier.WARM, atMs, true);
    }

    /** The WARM_STORED words sent so far, as memory_id@atMs. */
    static List<String> words(OneInputStreamOperatorTestHarness<Transition, Transition> h) {
        return h.extractOutputValues().stream()
                .peek(t -> assertThat(t.kind).isEqualTo(TransitionKind.WARM_STORED))
                .map(t -> t.memoryId + "@" + t.atMs).toList();
    }

    @Test
    void aMemoryThatLeftHotIsAnnouncedOnlyOnceWarmHoldsIt(@TempDir Path dir) throws Exception {
        try (var h = harness(embedded(dir), 100, 100); WarmTier store = embedded(dir).open()) {
            h.processElement(demoted("m1", 1500), 0);
            // Entering WARM from COLD, or rewritten while WARM: written, but no HOT store waits for those.
            h.processElement(move("m2", TransitionKind.COLD_TO_WARM, Tier.COLD, Tier.WARM, 1600, true), 0);
            h.processElement(move("m3", TransitionKind.UPDATED, Tier.WARM, Tier.WARM, 1700, true), 0);
            h.setProcessingTime(99);
            assertThat(store.get("a", "m1")).isNull();
            assertThat(words(h)).isEmpty();
            h.setProcessingTime(100);
            assertThat(store.get("a", "m1")).isNotNull();
            assertThat(store.count("a")).isEqualTo(3);
            assertThat(words(h)).containsExactly("m1@1500");
        }
    }

    /** With no deadline, a checkpoint's barrier is what writes, syncs and announces. */
    @Test
    void everythingBeforeABarrierIsWrittenAndAnnouncedAheadOfIt(@TempDir Path dir) throws Exception {
        try (var h = harness(embedded(dir), 100, 0); WarmTier store = embedded(dir).open()) {
            h.processElement(demoted("m1", 1500), 0);
            h.processElement(demoted("m2", 1600), 0);
            h.setProcessingTime(60_000);
            assertThat(words(h)).isEmpty();
            h.prepareSnapshotPreBarrier(1);
            assertThat(store.count("a")).isEqualTo(2);
            assertThat(words(h)).containsExactly("m1@1500", "m2@1600");
        }
    }

    /**
     * One word per departure, also when it is overtaken before its write: rewritten while WARM,
     * the newer upsert announces it; gone to COLD or back to HOT, it is announced at once (the HOT
     * store need not wait, and counts the words). Without a vector there is nothing to write, nor
     * to wait for.
     */
    @Test
    void everyDepartureIsAnnouncedOnceAlsoWhenOvertakenBeforeItsWrite(@TempDir Path dir) throws Exception {
        try (var h = harness(embedded(dir), 100, 100); WarmTier store = embedded(dir).open()) {
            h.processElement(demoted("m1", 1500), 0);
            h.processElement(move("m1", TransitionKind.UPDATED, Tier.WARM, Tier.WARM, 1550, true), 0);
            h.processElement(demoted("m2", 1500), 0);
            h.processElement(move("m2", TransitionKind.WARM_TO_COLD, Tier.WARM, Tier.COLD, 1560, false), 0);
            assertThat(words(h)).containsExactly("m2@1500");
            h.processElement(demoted("m3", 1500), 0);
            h.processElement(move("m3", TransitionKind.WARM_TO_HOT, Tier.WARM, Tier.HOT, 1570, true), 0);
            h.processElement(move("m4", TransitionKind.HOT_TO_WARM, Tier.HOT, Tier.WARM, 1580, false), 0);
            // Not something the consolidator sends (a memory must come back to leave again), but
            // should a departure replace another's pending write, the earlier word still goes.
            h.processElement(demoted("m5", 1500), 0);
            h.processElement(demoted("m5", 1590), 0);
            assertThat(words(h)).containsExactly("m2@1500", "m3@1500", "m4@1580", "m5@1500");
            h.setProcessingTime(100);
            h.prepareSnapshotPreBarrier(1);
            assertThat(store.get("a", "m1").updatedMs).isEqualTo(1550);
            assertThat(store.get("a", "m2")).isNull();
            assertThat(store.get("a", "m3")).isNull();
            assertThat(words(h)).containsExactly("m2@1500", "m3@1500", "m4@1580", "m5@1500", "m1@1500", "m5@1590");
        }
    }

    /** A store that is down fails the task: nothing is announced, and the job restarts from its checkpoint. */
    @Test
    void aFailedWriteFailsTheTaskAndAnnouncesNothing() throws Exception {
        QdrantStandIn q = new QdrantStandIn(RedisServer.freePort(), "k");
        var spec = new WarmTierSpec(D, "", "http://127.0.0.1:" + q.port(), "k", "haim_warm", 24, 200, true, true, 500, 0, 3, 60_000);
        try (var h = harness(spec, 1, 100)) {
            q.close();
            assertThatThrownBy(() -> h.processElement(demoted("m1", 1500), 0)).isInstanceOf(java.io.IOException.class);
            assertThat(h.extractOutputValues()).isEmpty();
        }
    }
}
