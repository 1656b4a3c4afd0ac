package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The keys of the hash edges into the HOT index, and the fan-out that sends a query to every subtask. */
class IndexRouteTest {

    @Test
    void eachSubtaskKeyLandsOnItsSubtask() {
        for (int maxParallelism : new int[] {1, 7, 128, 32768}) {
            for (int parallelism = 1; parallelism <= Math.min(maxParallelism, 16); parallelism++) {
                String[] keys = IndexRoute.subtaskKeys(maxParallelism, parallelism);
                assertThat(keys).hasSize(parallelism).doesNotHaveDuplicates();
                for (int i = 0; i < parallelism; i++) {
                    assertThat(KeyGroupRangeAssignment.assignKeyToParallelOperator(keys[i], maxParallelism, parallelism))
                            .as("subtask %d of %d, max %d", i, parallelism, maxParallelism).isEqualTo(i);
                    assertThat(keys[i]).doesNotContain("/"); // never a memory's key
                }
            }
        }
        assertThatThrownBy(() -> IndexRoute.subtaskKey(2, 128, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A memory's change keeps the memory's key: the index subtask is the one of the store that holds it. */
    @Test
    void aMemorysChangeIsRoutedByTheMemorysKey() {
        HotChange c = HotChange.of(HotChange.Op.UPSERT, "acme", "m1", null, null);
        assertThat(IndexRoute.of(c)).isEqualTo("acme/m1");
    }

    @Test
    void fansEveryQueryOutToEverySubtask() throws Exception {
        int parallelism = 3;
        try (var h = new OneInputStreamOperatorTestHarness<>(new StreamFlatMap<>(new QueryFanOut(128)), 128, parallelism, 1)) {
            h.open();
            Query q = new Query();
            q.queryId = "q1";
            q.tenant = "acme";
            q.kind = "query";
            q.hdv = new long[] {1, 2};
            q.k = 5;
            q.receivedMs = 42;
            h.processElement(q, 0);
            List<Query> copies = h.extractOutputValues();
            assertThat(copies).hasSize(parallelism);
            Set<Integer> subtasks = new HashSet<>();
            for (Query c : copies) {
                assertThat(c.queryId).isEqualTo("q1");
                assertThat(c.hdv).containsExactly(1, 2);
                assertThat(c.k).isEqualTo(5);
                assertThat(c.receivedMs).isEqualTo(42);
                subtasks.add(KeyGroupRangeAssignment.assignKeyToParallelOperator(IndexRoute.of(c), 128, parallelism));
            }
            assertThat(subtasks).containsExactlyInAnyOrder(0, 1, 2);
            assertThat(q.route).as("the producer's query is not changed").isNull();
        }
    }
}
