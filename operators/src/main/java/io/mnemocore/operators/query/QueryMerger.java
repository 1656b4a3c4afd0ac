package io.mnemocore.operators.query;

import java.util.Arrays;
import java.util.Comparator;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Merges the HOT index subtasks' partial results of a query (keyed by query_id) into the global
 * top-k by Hamming distance. A query whose partial results do not all arrive within the merge
 * timeout goes on with what arrived, and its reply will say so. What comes next (WARM search,
 * rerank, reply) is {@link WarmFallback} and {@link QueryResults}, chained to this operator.
 */
public final class QueryMerger extends KeyedProcessFunction<String, PartialResult, MergedQuery> {
    private static final long serialVersionUID = 1L;

    private final long mergeTimeoutMs;
    private transient ValueState<PartialResult> pending;
    private transient ValueState<Integer> received;

    public QueryMerger(long mergeTimeoutMs) {
        this.mergeTimeoutMs = mergeTimeoutMs;
    }

    @Override
    public void open(OpenContext ctx) {
        pending = getRuntimeContext().getState(new ValueStateDescriptor<>("pending", PartialResult.class));
        received = getRuntimeContext().getState(new ValueStateDescriptor<>("received", Integer.class));
    }

    @Override
    public void processElement(PartialResult p, Context ctx, Collector<MergedQuery> out) throws Exception {
        PartialResult acc = pending.value();
        int n = received.value() == null ? 0 : received.value();
        if (n < 0) {
            return; // already answered: a partial that came after the merge timeout
        }
        if (acc == null) {
            acc = p;
            ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + mergeTimeoutMs);
        } else {
            acc.hits = topK(concat(acc.hits, p.hits), acc.query.k);
            acc.scanned += p.scanned;
            acc.approximate |= p.approximate;
        }
        n++;
        if (n >= p.parts) {
            emit(acc, null, out);
            // Done: the merge timer clears the marker, so late partials of a timed-out query stay ignored until then.
            pending.clear();
            received.update(-1);
        } else {
            pending.update(acc);
            received.update(n);
        }
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<MergedQuery> out) throws Exception {
        PartialResult acc = pending.value();
        Integer n = received.value();
        if (acc != null && n != null && n >= 0) {
            emit(acc, "results of " + (acc.parts - n) + " of " + acc.parts + " HOT index subtasks missing after "
                    + mergeTimeoutMs + " ms", out);
            pending.clear();
            // Late partials may still come; remember the answer for one more timeout, then forget.
            received.update(-1);
            ctx.timerService().registerProcessingTimeTimer(t + mergeTimeoutMs);
        } else {
            pending.clear();
            received.clear();
        }
    }

    private static void emit(PartialResult acc, String missing, Collector<MergedQuery> out) {
        MergedQuery m = new MergedQuery();
        m.query = acc.query;
        m.hits = topK(acc.hits, acc.query.k);
        m.scanned = acc.scanned;
        m.approximate = acc.approximate;
        m.missing = missing;
        out.collect(m);
    }

    private static Hit[] concat(Hit[] a, Hit[] b) {
        Hit[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** The k nearest, ties broken by memory id so the merge does not depend on arrival order. */
    static Hit[] topK(Hit[] hits, int k) {
        Hit[] sorted = hits.clone();
        Arrays.sort(sorted, Comparator.<Hit>comparingInt(h -> h.distance).thenComparing(h -> h.memoryId));
        return Arrays.copyOf(sorted, Math.min(k, sorted.length));
    }
}
