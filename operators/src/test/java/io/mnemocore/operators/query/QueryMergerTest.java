package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.ltp.LtpModel;
import io.mnemocore.operators.ltp.LtpParams;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class QueryMergerTest {
    static final int D = 16384;
    static final LtpModel LTP = new LtpModel(LtpParams.of(24, 0.3, 1.5, 365, 0.7, 0.3, 0.05, 30, 0.9, 1));

    static KeyedOneInputStreamOperatorTestHarness<String, PartialResult, MergedQuery> harness() throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new QueryMerger(2_000)),
                p -> p.query.queryId, Types.STRING);
        h.open();
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
        assertThat(h.numKeyedStateEntries()).as("the late-part marker is gone after one more timeout").isZero();
    }
}
