package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.LtpModel;
import io.mnemocore.operators.ltp.LtpParams;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class QueryMergerTest {
    static final int D = 16384;
    static final LtpModel LTP = new LtpModel(LtpParams.of(24, 0.3, 1.5, 365, 0.7, 0.3, 0.05, 30, 0.9, 1));

    static KeyedOneInputStreamOperatorTestHarness<String, PartialResult, QueryReply> harness(Rerank rerank) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new QueryMerger(rerank, 500, 2_000, 60_000)),
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
    void mergesAllPartsIntoTheGlobalTopKAndFeedsHitsBack() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        Query q = query("q1", 3);
        h.processElement(part(q, 0, 2, hit("a", 100, 0.9), hit("c", 300, 0.9), hit("e", 900, 0.9)), 0);
        assertThat(h.extractOutputValues()).as("waits for the other subtask").isEmpty();
        h.processElement(part(q, 1, 2, hit("b", 200, 0.9), hit("d", 400, 0.9)), 0);
        List<QueryReply> out = h.extractOutputValues();
        assertThat(out).hasSize(1);
        QueryReply r = out.get(0);
        assertThat(r.hits).extracting(x -> x.memoryId).containsExactly("a", "b", "c");
        assertThat(r.confidence).isEqualTo("high");
        assertThat(r.degraded).isFalse();
        assertThat(r.scanned).isEqualTo(200);
        assertThat(r.hits[0].score).isEqualTo(1.0 - 100.0 / D);
        var fed = h.getSideOutput(QueryMerger.FEEDBACK);
        assertThat(fed).extracting(StreamRecord::getValue).extracting(e -> ((MemoryEvent) e).memoryId)
                .containsExactly("a", "b", "c");
        assertThat(fed).extracting(StreamRecord::getValue).allMatch(e -> ((MemoryEvent) e).type == EventType.MEMORY_ACCESS);
    }

    @Test
    void predictionsAreNotCountedAsAccesses() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        Query q = query("p1", 2);
        q.kind = "inference.predict";
        h.processElement(part(q, 0, 1, hit("a", 10, 0.9), hit("b", 20, 0.9)), 0);
        assertThat(h.extractOutputValues().get(0).hits).hasSize(2);
        assertThat(h.getSideOutput(QueryMerger.FEEDBACK)).isNullOrEmpty();
    }

    @Test
    void rerankWeighsLtpStrengthAgainstSimilarity() throws Exception {
        // With a heavy LTP weight, a slightly farther but much stronger memory comes first.
        var h = harness(new Rerank(D, LTP, 1.0, 1.0, 0.0, 24));
        Query q = query("q2", 2);
        h.processElement(part(q, 0, 1, hit("near-weak", 100, 0.1), hit("far-strong", 300, 0.95)), 0);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.hits).extracting(x -> x.memoryId).containsExactly("far-strong", "near-weak");
        assertThat(r.hits[0].distance).isEqualTo(300);
    }

    @Test
    void missingPartsAnswerDegradedAfterTheTimeoutAndLowConfidenceIsFlagged() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        Query q = query("q3", 2);
        h.processElement(part(q, 0, 3, hit("x", 7000, 0.9)), 0);
        h.setProcessingTime(2_001);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.degraded).isTrue();
        assertThat(r.degradedReason).contains("2 of 3").contains("low confidence");
        assertThat(r.confidence).isEqualTo("low");
        // A part arriving after the answer changes nothing.
        h.processElement(part(q, 1, 3, hit("y", 1, 0.9)), 0);
        assertThat(h.extractOutputValues()).hasSize(1);
    }

    @Test
    void resultStaysQueryableUntilItsTimerRemovesIt() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        h.processElement(part(query("q4", 1), 0, 1, hit("a", 1, 0.9)), 0);
        assertThat(result(h, "q4").hits[0].memoryId).isEqualTo("a");
        assertThat(QueryMerger.resultDescriptor().isQueryable()).isTrue();
        h.setProcessingTime(59_999);
        assertThat(result(h, "q4")).isNotNull();
        h.setProcessingTime(60_000);
        assertThat(result(h, "q4")).isNull();
    }

    static QueryReply result(KeyedOneInputStreamOperatorTestHarness<String, PartialResult, QueryReply> h, String queryId)
            throws Exception {
        h.getOperator().getKeyedStateBackend().setCurrentKey(queryId);
        return h.getOperator().getKeyedStateBackend()
                .getPartitionedState(org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE, QueryMerger.resultDescriptor())
                .value();
    }
}
