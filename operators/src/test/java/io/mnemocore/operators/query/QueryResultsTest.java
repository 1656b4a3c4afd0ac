package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class QueryResultsTest {

    static QueryReply reply(String queryId, String hit) {
        QueryReply r = new QueryReply();
        r.queryId = queryId;
        r.tenant = "t";
        r.kind = "query";
        Hit h = new Hit();
        h.memoryId = hit;
        h.tier = "hot";
        r.hits = new Hit[] {h};
        return r;
    }

    @Test
    void resultStaysQueryableUntilItsTimerRemovesIt() throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new QueryResults(60_000)),
                (QueryReply r) -> r.queryId, Types.STRING);
        h.open();
        h.processElement(reply("q4", "a"), 0);
        assertThat(result(h, "q4").hits[0].memoryId).isEqualTo("a");
        assertThat(QueryResults.resultDescriptor().isQueryable()).isTrue();
        assertThat(h.extractOutputValues()).as("a store, no output").isEmpty();
        h.setProcessingTime(30_000);
        h.processElement(reply("q5", "b"), 0);
        h.setProcessingTime(59_999);
        assertThat(result(h, "q4")).isNotNull();
        h.setProcessingTime(60_000);
        assertThat(result(h, "q4")).isNull();
        assertThat(result(h, "q5").hits[0].memoryId).isEqualTo("b");
        h.setProcessingTime(90_000);
        assertThat(result(h, "q5")).isNull();
        assertThat(h.numKeyedStateEntries()).isZero();
    }

    static QueryReply result(KeyedOneInputStreamOperatorTestHarness<String, QueryReply, Void> h, String queryId)
            throws Exception {
        h.getOperator().getKeyedStateBackend().setCurrentKey(queryId);
        return h.getOperator().getKeyedStateBackend()
                .getPartitionedState(org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                        org.apache.flink.runtime.state.VoidNamespaceSerializer.INSTANCE, QueryResults.resultDescriptor())
                .value();
    }
}
