package io.mnemocore.operators.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.tasks.TestProcessingTimeService;
import org.junit.jupiter.api.Test;

class FlushDeadlineTest {

    /** A writer's buffer as the sinks keep it: flushed by size, by checkpoint, or by the deadline. */
    private static final class Buffer {
        final List<Integer> records = new ArrayList<>();
        final List<List<Integer>> sent = new ArrayList<>();
        FlushDeadline deadline;

        void add(int r) {
            records.add(r);
            deadline.arm();
        }

        void flush() {
            if (!records.isEmpty()) {
                sent.add(new ArrayList<>(records));
                records.clear();
            }
        }
    }

    private static Buffer buffer(TestProcessingTimeService time, long maxDelayMs) {
        Buffer b = new Buffer();
        b.deadline = new FlushDeadline(time, maxDelayMs, b::flush);
        return b;
    }

    @Test
    void aRecordIsSentNoLaterThanTheDelayAfterTheFirstOfItsBatch() throws Exception {
        TestProcessingTimeService time = new TestProcessingTimeService();
        time.setCurrentTime(1_000);
        Buffer b = buffer(time, 100);
        b.add(1);
        time.setCurrentTime(1_060);
        b.add(2);
        time.setCurrentTime(1_099);
        assertThat(b.sent).isEmpty();
        time.setCurrentTime(1_100);
        assertThat(b.sent).containsExactly(List.of(1, 2));
        // Nothing buffered, nothing armed: the next record starts its own delay.
        assertThat(time.getNumActiveTimers()).isZero();
        time.setCurrentTime(5_000);
        b.add(3);
        time.setCurrentTime(5_100);
        assertThat(b.sent).containsExactly(List.of(1, 2), List.of(3));
    }

    @Test
    void aBatchSentEarlierLeavesTheArmedTimerToCoverTheNextRecords() throws Exception {
        TestProcessingTimeService time = new TestProcessingTimeService();
        time.setCurrentTime(0);
        Buffer b = buffer(time, 100);
        b.add(1);
        time.setCurrentTime(40);
        b.flush(); // full, or a checkpoint
        b.add(2); // the timer armed at 0 still covers it: one timer, never two
        assertThat(time.getNumActiveTimers()).isEqualTo(1);
        time.setCurrentTime(100);
        assertThat(b.sent).containsExactly(List.of(1), List.of(2));
        b.add(3);
        assertThat(time.getNumActiveTimers()).isEqualTo(1);
        time.setCurrentTime(200);
        assertThat(b.sent).containsExactly(List.of(1), List.of(2), List.of(3));
    }

    @Test
    void noDelayMeansOnlyFullBatchesAndCheckpoints() throws Exception {
        TestProcessingTimeService time = new TestProcessingTimeService();
        Buffer b = buffer(time, 0);
        b.add(1);
        assertThat(time.getNumActiveTimers()).isZero();
        time.setCurrentTime(1_000_000);
        assertThat(b.sent).isEmpty();
    }
}
