package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.hdv.encode.EncoderSpec;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each query path operator raises its task thread when it opens (a harness opens on the test thread). */
class QueryPathPriorityTest {
    private int before;

    @BeforeEach
    void lower() {
        before = Thread.currentThread().getPriority();
        Thread.currentThread().setPriority(Thread.NORM_PRIORITY);
    }

    @AfterEach
    void restore() {
        Thread.currentThread().setPriority(before);
    }

    @Test
    void theHotIndexRaisesItsThread() throws Exception {
        try (HotIndexTest.Pipeline p = HotIndexTest.pipeline(HotIndexTest.index(false).withThreadPriority(9))) {
            assertThat(Thread.currentThread().getPriority()).isEqualTo(9);
        }
    }

    @Test
    void theMergerRaisesItsChainsThread() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new QueryMerger(2_000).withThreadPriority(8), 128, 1, 0)) {
            h.open();
            assertThat(Thread.currentThread().getPriority()).isEqualTo(8);
        }
    }

    @Test
    void theQueryPreparerRaisesItsSourcesThread() throws Exception {
        QueryPreparer p = new QueryPreparer(new EncoderSpec("ngram", 1024, 42, 3, "all-minilm-l6-v2")).withThreadPriority(7);
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(p)) {
            assertThat(Thread.currentThread().getPriority()).isEqualTo(7);
        }
    }

    @Test
    void normalLeavesTheThreadAlone() throws Exception {
        Thread.currentThread().setPriority(3);
        try (var h = new OneInputStreamOperatorTestHarness<>(new QueryMerger(2_000), 128, 1, 0)) {
            h.open();
            assertThat(Thread.currentThread().getPriority()).isEqualTo(3);
        }
    }

    @Test
    void onlyJavaPrioritiesAreAccepted() {
        assertThatThrownBy(() -> new QueryMerger(2_000).withThreadPriority(0)).hasMessageContaining("1..10, got 0");
        assertThatThrownBy(() -> new HotIndex(64, "cpu", 1, false, 64, 8, 4, 0).withThreadPriority(11))
                .hasMessageContaining("1..10, got 11");
    }
}
