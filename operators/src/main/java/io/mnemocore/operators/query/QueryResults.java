package io.mnemocore.operators.query;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Recent replies, keyed by query_id: each stays queryable (state "query-result") until a timer
 * removes it, since queryable state cannot have a TTL. Off the reply path: replies are written to
 * their streams before they get here, so this operator's state snapshots delay no reply.
 */
public final class QueryResults extends KeyedProcessFunction<String, QueryReply, Void> {
    private static final long serialVersionUID = 1L;
    public static final String RESULT_STATE = "query-result";

    private final long resultTtlMs;
    private transient ValueState<QueryReply> result;
    private transient ValueState<Long> cleanupAt;

    public QueryResults(long resultTtlMs) {
        this.resultTtlMs = resultTtlMs;
    }

    public static ValueStateDescriptor<QueryReply> resultDescriptor() {
        ValueStateDescriptor<QueryReply> d = new ValueStateDescriptor<>(RESULT_STATE, QueryReply.class);
        d.setQueryable(RESULT_STATE);
        return d;
    }

    @Override
    public void open(OpenContext ctx) {
        result = getRuntimeContext().getState(resultDescriptor());
        cleanupAt = getRuntimeContext().getState(new ValueStateDescriptor<>("cleanup-at", Long.class));
    }

    @Override
    public void processElement(QueryReply r, Context ctx, Collector<Void> out) throws Exception {
        result.update(r);
        // A query_id asked again leaves its earlier timer behind; onTimer ignores it (no read here).
        long until = ctx.timerService().currentProcessingTime() + resultTtlMs;
        cleanupAt.update(until);
        ctx.timerService().registerProcessingTimeTimer(until);
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<Void> out) throws Exception {
        if (cleanupAt.value() != null && t >= cleanupAt.value()) {
            result.clear(); // the reply's time to stay queryable is over
            cleanupAt.clear();
        }
    }
}
