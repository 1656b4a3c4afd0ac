package io.mnemocore.operators.query;

import io.mnemocore.operators.ingest.EventRouter;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The keys of the two edges into the {@link HotIndex}. Both are hash (key-group) edges, not
 * forward and broadcast, because Flink keeps a task's checkpoints aligned when any of its inputs is
 * forward or broadcast: the index then stopped taking queries until the store's barrier came,
 * after the consolidator's and the store's synchronous RocksDB snapshots (8–46 ms at 100,000 HOT).
 * On hash edges the first barrier snapshots the index at once and overtakes the rest.
 *
 * <p>A memory's changes keep its own key (tenant/memory_id), so they reach the index subtask of the
 * same number as the store subtask that holds the key, at any parallelism. The store's markers
 * and each copy of a query carry the key of one index subtask: a key of the form {@code #n} (no
 * '/', so never a memory's) whose key group that subtask owns.
 */
public final class IndexRoute {
    private IndexRoute() {}

    /** The key of an edge record routed to index subtask {@code subtask}. */
    public static String subtaskKey(int subtask, int maxParallelism, int parallelism) {
        if (subtask < 0 || subtask >= parallelism) {
            throw new IllegalArgumentException("subtask " + subtask + " of " + parallelism);
        }
        for (int n = 0; ; n++) {
            String key = "#" + n;
            if (KeyGroupRangeAssignment.assignKeyToParallelOperator(key, maxParallelism, parallelism) == subtask) {
                return key;
            }
        }
    }

    /** {@link #subtaskKey} of every subtask, by subtask index. */
    public static String[] subtaskKeys(int maxParallelism, int parallelism) {
        String[] keys = new String[parallelism];
        for (int i = 0; i < parallelism; i++) {
            keys[i] = subtaskKey(i, maxParallelism, parallelism);
        }
        return keys;
    }

    /** The key of a change on the store-to-index edge. */
    public static String of(HotChange c) {
        return c.route != null ? c.route : EventRouter.key(c.tenant, c.memoryId);
    }

    /** The key of a query copy on the query edge. */
    public static String of(Query q) {
        return q.route;
    }
}
