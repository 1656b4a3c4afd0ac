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

    static List<MemoryEvent> drain(OneInputStreamOperatorTestHarness<Transition, MemoryEvent> h) {
        List<MemoryEvent> out = new ArrayList<>(h.extractOutputValues());
        h.getOutput().clear();
        return out;
    }

    @Test
    void evictsLeastRecentlyUsedBeyondCapacityOnce() throws Exception {
        TierLedger ledger = new TierLedger(3, 100);
        var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(ledger));
        h.open();
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
        var h2 = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(restored));
        h2.initializeState(snap);
        h2.open();
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
}
