package io.mnemocore.operators.redis.source.reader;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ids kept packed until their checkpoint completes, and given back exactly as Redis wrote them. */
class AckTrackerTest {

    @Test
    void givesBackEachCheckpointsIdsInOrderOnceItCompletes() {
        AckTracker t = new AckTracker();
        t.emitted("s", "1796410034561-0");
        t.emitted("s", "1796410034561-7");
        t.emitted("q", "5-18446744073709551615"); // the largest sequence Redis allows
        t.snapshot(1);
        for (int i = 0; i < 200; i++) { // past the first array
            t.emitted("s", "1796410034562-" + i);
        }
        t.snapshot(2);
        t.emitted("s", "1796410034563-0");

        assertThat(t.completedUpTo(0)).isEmpty();
        Map<String, List<String>> first = t.completedUpTo(1);
        assertThat(first).containsOnlyKeys("s", "q");
        assertThat(first.get("s")).containsExactly("1796410034561-0", "1796410034561-7");
        assertThat(first.get("q")).containsExactly("5-18446744073709551615");
        assertThat(t.completedUpTo(1)).isEmpty();

        List<String> second = t.completedUpTo(2).get("s");
        assertThat(second).hasSize(200).startsWith("1796410034562-0").endsWith("1796410034562-199");
        t.snapshot(3);
        assertThat(t.completedUpTo(3)).containsExactly(Map.entry("s", List.of("1796410034563-0")));
    }

    @Test
    void idsPutBackAfterAFailedAckComeWithTheNextCompletedCheckpoint() {
        AckTracker t = new AckTracker();
        t.emitted("s", "10-1");
        t.snapshot(1);
        Map<String, List<String>> failed = t.completedUpTo(1);
        t.retryLater(1, failed);
        t.emitted("s", "11-0");
        t.snapshot(2);
        assertThat(t.completedUpTo(2).get("s")).containsExactly("10-1", "11-0");
    }

    @Test
    void anIdWithoutSequenceReadsBackWithSequenceZero() {
        AckTracker.PackedIds p = new AckTracker.PackedIds();
        p.add("42");
        List<String> out = new java.util.ArrayList<>();
        p.appendTo(out);
        assertThat(out).containsExactly("42-0");
    }
}
