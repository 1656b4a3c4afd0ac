package io.mnemocore.operators.redis.source.reader;

import io.mnemocore.operators.redis.StreamIds;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Entry ids emitted downstream, grouped by the checkpoint that will contain their effects. They
 * are acknowledged in Redis only when that checkpoint completes. All methods run on the task's
 * mailbox thread.
 *
 * <p>Held as two longs an id, not as the id strings: an id lives a checkpoint interval, long
 * enough to be copied by every young GC in between, and at 500 queries/s (50,000 fed-back hits per
 * 10 s) the strings were most of what those GCs copied.
 */
final class AckTracker {
    private Map<String, PackedIds> sinceLastSnapshot = new HashMap<>();
    private final TreeMap<Long, Map<String, PackedIds>> byCheckpoint = new TreeMap<>();

    void emitted(String stream, String id) {
        sinceLastSnapshot.computeIfAbsent(stream, k -> new PackedIds()).add(id);
    }

    void snapshot(long checkpointId) {
        if (!sinceLastSnapshot.isEmpty()) {
            byCheckpoint.put(checkpointId, sinceLastSnapshot);
            sinceLastSnapshot = new HashMap<>();
        }
    }

    /** Removes and returns every id whose checkpoint is at or before {@code checkpointId}, in emission order per stream. */
    Map<String, List<String>> completedUpTo(long checkpointId) {
        Map<String, List<String>> out = new HashMap<>();
        Iterator<Map.Entry<Long, Map<String, PackedIds>>> it = byCheckpoint.headMap(checkpointId, true).entrySet().iterator();
        while (it.hasNext()) {
            for (Map.Entry<String, PackedIds> e : it.next().getValue().entrySet()) {
                e.getValue().appendTo(out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()));
            }
            it.remove();
        }
        return out;
    }

    /** Puts ids back after a failed XACK, to be retried with the next completed checkpoint. */
    void retryLater(long checkpointId, Map<String, List<String>> ids) {
        Map<String, PackedIds> slot = byCheckpoint.computeIfAbsent(checkpointId, k -> new HashMap<>());
        for (Map.Entry<String, List<String>> e : ids.entrySet()) {
            PackedIds packed = slot.computeIfAbsent(e.getKey(), k -> new PackedIds());
            for (String id : e.getValue()) {
                packed.add(id);
            }
        }
    }

    /** Stream ids {@code <ms>-<seq>} (unsigned 64-bit each) as pairs of longs. */
    static final class PackedIds {
        private long[] pairs = new long[64];
        private int size;

        void add(String id) {
            if (size * 2 == pairs.length) {
                pairs = java.util.Arrays.copyOf(pairs, pairs.length * 2);
            }
            pairs[2 * size] = StreamIds.millis(id);
            pairs[2 * size + 1] = StreamIds.seq(id);
            size++;
        }

        void appendTo(List<String> out) {
            for (int i = 0; i < size; i++) {
                out.add(StreamIds.format(pairs[2 * i], pairs[2 * i + 1]));
            }
        }
    }
}
