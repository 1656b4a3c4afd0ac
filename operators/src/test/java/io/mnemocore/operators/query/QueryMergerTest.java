package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.ltp.LtpModel;
import io.mnemocore.operators.ltp.LtpParams;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class QueryMergerTest {
    static final int D = 16384;
    static final LtpModel LTP = new LtpModel(LtpParams.of(24, 0.3, 1.5, 365, 0.7, 0.3, 0.05, 30, 0.9, 1));

    static OneInputStreamOperatorTestHarness<PartialResult, MergedQuery> harness() throws Exception {
        var h = harness(1, 0, null);
        h.open();
        return h;
    }

    static OneInputStreamOperatorTestHarness<PartialResult, MergedQuery> harness(int parallelism, int subtask,
            OperatorSubtaskState restore) throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(new QueryMerger(2_000), 128, parallelism, subtask);
        if (restore != null) {
            h.initializeState(restore);
        }
        return h;
    }

    static Query query(String id, int k) {
        Query q = new Query();
        q.queryId = id;
        q.tenant = "t";
        q.kind = "query";
        q.k = k;
        q.replyTo = "replies";
        q.receivedMs = 10_000;
        q.hdv = new long[D / 64];
        return q;
    }

    static Hit hit(String id, int distance, double strength) {
        Hit h = new Hit();
        h.memoryId = id;
        h.distance = distance;
        h.tier = "hot";
        h.strength = strength;
        h.updatedMs = 10_000;
        h.halfLifeMs = 86_400_000;
        h.lastAccessMs = 10_000;
        return h;
    }

    static PartialResult part(Query q, int subtask, int parts, Hit... hits) {
        PartialResult p = new PartialResult();
        p.query = q;
        p.subtask = subtask;
        p.parts = parts;
        p.hits = hits;
        p.scanned = 100;
        return p;
    }

    @Test
    void mergesAllPartsIntoTheGlobalTopK() throws Exception {
        var h = harness();
        Query q = query("q1", 3);
        h.processElement(part(q, 0, 2, hit("a", 100, 0.9), hit("c", 300, 0.9), hit("e", 900, 0.9)), 0);
        assertThat(h.extractOutputValues()).as("waits for the other subtask").isEmpty();
        h.processElement(part(q, 1, 2, hit("b", 200, 0.9), hit("d", 400, 0.9)), 0);
        List<MergedQuery> out = h.extractOutputValues();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).hits).extracting(x -> x.memoryId).containsExactly("a", "b", "c");
        assertThat(out.get(0).scanned).isEqualTo(200);
        assertThat(out.get(0).missing).isNull();
        assertThat(out.get(0).bestDistance()).isEqualTo(100);
    }

    /**
     * A history prediction's partials keep every predicted memory (distances to the prediction,
     * not comparable with a search's) and, of a top-up's search hits, the k nearest.
     */
    @Test
    void aPredictionKeepsItsPredictedMemoriesAndTheKNearestOfItsTopUp() throws Exception {
        var h = harness();
        Query q = query("p", 2);
        q.kind = "inference.predict";
        q.predicted = new String[] {"a", "b"};
        q.predictedDistance = new int[] {7_000, 7_200};
        q.contentTopUp = true;
        h.processElement(part(q, 0, 2, hit("a", 7_000, 0.5), hit("x", 300, 0.5), hit("y", 100, 0.5)), 0);
        h.processElement(part(q, 1, 2, hit("b", 7_200, 0.5), hit("z", 200, 0.5)), 0);
        MergedQuery m = h.extractOutputValues().get(0);
        assertThat(m.hits).extracting(x -> x.memoryId).containsExactly("a", "b", "y", "z");
    }

    @Test
    void theMergeKeepsTheSearchTimesOfTheSubtaskThatFinishedLast() throws Exception {
        var h = harness();
        Query q = query("q1", 3);
        PartialResult late = part(q, 1, 2, hit("b", 200, 0.9));
        late.indexStartUs = 5_000;
        late.indexEndUs = 5_900;
        PartialResult early = part(q, 0, 2, hit("a", 100, 0.9));
        early.indexStartUs = 4_000;
        early.indexEndUs = 4_300;
        h.processElement(late, 0); // arrival order is not finishing order
        h.processElement(early, 0);
        MergedQuery m = h.extractOutputValues().get(0);
        assertThat(m.indexStartUs).isEqualTo(5_000);
        assertThat(m.indexEndUs).isEqualTo(5_900);
        assertThat(m.mergedUs).isGreaterThan(1_700_000_000_000_000L); // a wall-clock epoch in microseconds
    }

    @Test
    void tiesAreBrokenByMemoryIdWhateverTheArrivalOrder() throws Exception {
        var h = harness();
        Query q = query("q5", 2);
        h.processElement(part(q, 1, 2, hit("z", 50, 0.9), hit("m", 50, 0.9)), 0);
        h.processElement(part(q, 0, 2, hit("b", 50, 0.9)), 0);
        assertThat(h.extractOutputValues().get(0).hits).extracting(x -> x.memoryId).containsExactly("b", "m");
    }

    @Test
    void missingPartsGoOnAfterTheTimeoutAndLatePartsAreIgnored() throws Exception {
        var h = harness();
        Query q = query("q3", 2);
        h.processElement(part(q, 0, 3, hit("x", 7000, 0.9)), 0);
        h.setProcessingTime(2_001);
        MergedQuery m = h.extractOutputValues().get(0);
        assertThat(m.missing).contains("2 of 3");
        h.processElement(part(q, 1, 3, hit("y", 1, 0.9)), 0);
        assertThat(h.extractOutputValues()).hasSize(1);
        h.setProcessingTime(4_002);
        assertThat(((QueryMerger) h.getOperator()).held()).as("the late-part marker is gone after one more timeout").isZero();
    }

    /** Every query leaves a deadline; the timers that clear them come at most once every twentieth of the timeout. */
    @Test
    void deadlinesShareTimersATwentiethOfTheTimeoutApart() throws Exception {
        var h = harness();
        for (int t = 0; t < 1_000; t += 2) { // 500 queries/s for a second, each complete at once
            h.setProcessingTime(t);
            Query q = query("s" + t, 1);
            h.processElement(part(q, 0, 1, hit("a" + t, 10, 0.9)), t);
        }
        Query late = query("late", 1);
        h.setProcessingTime(1_050);
        h.processElement(part(late, 0, 2, hit("x", 10, 0.9)), 1_050); // its other partial never comes
        QueryMerger merger = (QueryMerger) h.getOperator();
        int fires = 0;
        int held = merger.held();
        for (long t = 1_051; t <= 3_100; t++) {
            h.setProcessingTime(t);
            if (merger.held() < held) {
                fires++;
                assertThat(t).as("a fire at least 100 ms after the one before").isGreaterThanOrEqualTo(2_000 + 100L * (fires - 1));
            }
            held = merger.held();
            if (t < 3_050) {
                assertThat(h.extractOutputValues()).as("no timeout before the deadline").hasSize(500);
            }
        }
        assertThat(fires).as("500 deadlines in 1 s cleared by ~10 timers, not 500").isBetween(10, 12);
        assertThat(h.extractOutputValues()).hasSize(501);
        assertThat(h.extractOutputValues().get(500).missing).contains("1 of 2");
        assertThat(held).as("only the timed-out query's marker is left").isEqualTo(1);
    }

    @Test
    void completedMergesAreForgottenAtTheirDeadline() throws Exception {
        var h = harness();
        for (int i = 0; i < 5; i++) {
            Query q = query("c" + i, 1);
            h.processElement(part(q, 0, 2, hit("a" + i, 10, 0.9)), 0);
            h.processElement(part(q, 1, 2, hit("b" + i, 20, 0.9)), 0);
        }
        assertThat(h.extractOutputValues()).hasSize(5).allMatch(m -> m.missing == null);
        h.setProcessingTime(2_000);
        assertThat(((QueryMerger) h.getOperator()).held()).isZero();
        assertThat(h.extractOutputValues()).as("nothing timed out").hasSize(5);
    }

    /**
     * An open merge is in the checkpoint: restored (here on two subtasks instead of one), the
     * subtask that now owns its query_id's key group completes it with the missing partial, and
     * the other one times nothing out.
     */
    @Test
    void openMergesSurviveARestoreAndARescale() throws Exception {
        var h = harness();
        List<Query> qs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Query q = query("r" + i, 2);
            qs.add(q);
            h.processElement(part(q, 0, 2, hit("x" + i, 100 + i, 0.9)), 0);
        }
        OperatorSubtaskState snap = h.snapshot(1, 0);
        h.close();
        OperatorSubtaskState[] parts = {
            AbstractStreamOperatorTestHarness.repartitionOperatorState(snap, 128, 1, 2, 0),
            AbstractStreamOperatorTestHarness.repartitionOperatorState(snap, 128, 1, 2, 1)};
        List<MergedQuery> out = new ArrayList<>();
        int held = 0;
        for (int sub = 0; sub < 2; sub++) {
            var r = harness(2, sub, parts[sub]);
            r.open();
            held += ((QueryMerger) r.getOperator()).held();
            for (int i = 0; i < qs.size(); i++) {
                Query q = qs.get(i);
                if (QueryMerger.subtaskOf(q.queryId, 128, 2) == sub) {
                    r.processElement(part(q, 1, 2, hit("y" + i, 1, 0.9)), 0);
                }
            }
            out.addAll(r.extractOutputValues());
            r.close();
        }
        assertThat(held).as("each open merge restored on exactly one subtask").isEqualTo(qs.size());
        assertThat(out).hasSize(qs.size()).allMatch(m -> m.missing == null && m.hits.length == 2 && m.hits[0].distance == 1);
    }
}
