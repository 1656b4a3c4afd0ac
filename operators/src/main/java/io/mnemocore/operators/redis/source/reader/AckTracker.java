package io.mnemocore.operators.redis.source.reader;

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
 */
final class AckTracker {
    private Map<String, List<String>> sinceLastSnapshot = new HashMap<>();
    private final TreeMap<Long, Map<String, List<String>>> byCheckpoint = new TreeMap<>();

    void emitted(String stream, String id) {
        sinceLastSnapshot.computeIfAbsent(stream, k -> new ArrayList<>()).add(id);
    }

    void snapshot(long checkpointId) {
        if (!sinceLastSnapshot.isEmpty()) {
            byCheckpoint.put(checkpointId, sinceLastSnapshot);
            sinceLastSnapshot = new HashMap<>();
        }
    }

    /** Removes and returns every id whose checkpoint is at or before {@code checkpointId}. */
    Map<String, List<String>> completedUpTo(long checkpointId) {
        Map<String, List<String>> out = new HashMap<>();
        Iterator<Map.Entry<Long, Map<String, List<String>>>> it = byCheckpoint.headMap(checkpointId, true).entrySet().iterator();
        while (it.hasNext()) {
            for (Map.Entry<String, List<String>> e : it.next().getValue().entrySet()) {
                out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
            }
            it.remove();
        }
        return out;
    }

    /** Puts ids back after a failed XACK, to be retried with the next completed checkpoint. */
    void retryLater(long checkpointId, Map<String, List<String>> ids) {
        Map<String, List<String>> slot = byCheckpoint.computeIfAbsent(checkpointId, k -> new HashMap<>());
        for (Map.Entry<String, List<String>> e : ids.entrySet()) {
            slot.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
        }
    }
}
