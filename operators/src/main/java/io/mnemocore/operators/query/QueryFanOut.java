package io.mnemocore.operators.query;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.util.Collector;

/**
 * Sends every query to every HOT index subtask as one copy per subtask, each keyed to its subtask
 * ({@link IndexRoute}): a broadcast over a hash edge, so the index's checkpoints need not be
 * aligned. Chained to each producer of queries; they and the index run at the job's parallelism,
 * so this operator's own parallelism is the number of copies (a query answered by fewer subtasks
 * than the index has would time out in the merger into a degraded reply).
 */
public final class QueryFanOut extends RichFlatMapFunction<Query, Query> {
    private static final long serialVersionUID = 1L;

    private final int maxParallelism;
    private transient String[] keys;

    /** @param maxParallelism the HOT index's (the job's) max parallelism: its number of key groups */
    public QueryFanOut(int maxParallelism) {
        this.maxParallelism = maxParallelism;
    }

    @Override
    public void open(OpenContext ctx) {
        keys = IndexRoute.subtaskKeys(maxParallelism, getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks());
    }

    @Override
    public void flatMap(Query q, Collector<Query> out) {
        for (String key : keys) {
            Query c = q.copy();
            c.route = key;
            out.collect(c);
        }
    }
}
