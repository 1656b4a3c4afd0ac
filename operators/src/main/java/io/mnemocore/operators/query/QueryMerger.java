package io.mnemocore.operators.query;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Merges the HOT index subtasks' partial results of a query (keyed by query_id) into the global
 * top-k by Hamming distance, orders those by the {@link Rerank} score, and answers: the reply
 * goes out on the main output, every returned hit goes back to the consolidator as a
 * {@code memory.access} on {@link #FEEDBACK} (memories that were only scanned are not counted).
 * A query whose partial results do not all arrive within the merge timeout is answered with what
 * arrived, marked degraded. The reply stays queryable by query_id (state "query-result") until
 * a timer removes it: queryable state cannot have a TTL.
 */
public final class QueryMerger extends KeyedProcessFunction<String, PartialResult, QueryReply> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<MemoryEvent> FEEDBACK = new OutputTag<>("query-feedback") {};
    public static final String RESULT_STATE = "query-result";

    private final Rerank rerank;
    private final int confidenceThresholdBits;
    private final long mergeTimeoutMs;
    private final long resultTtlMs;
    private transient ValueState<PartialResult> pending;
    private transient ValueState<Integer> received;
    private transient ValueState<QueryReply> result;
    private transient ValueState<Long> cleanupAt;
    private transient Counter degraded;
    private transient Counter lowConfidence;

    public QueryMerger(Rerank rerank, int confidenceThresholdBits, long mergeTimeoutMs, long resultTtlMs) {
        this.rerank = rerank;
        this.confidenceThresholdBits = confidenceThresholdBits;
        this.mergeTimeoutMs = mergeTimeoutMs;
        this.resultTtlMs = resultTtlMs;
    }

    public static ValueStateDescriptor<QueryReply> resultDescriptor() {
        ValueStateDescriptor<QueryReply> d = new ValueStateDescriptor<>(RESULT_STATE, QueryReply.class);
        d.setQueryable(RESULT_STATE);
        return d;
    }

    @Override
    public void open(OpenContext ctx) {
        pending = getRuntimeContext().getState(new ValueStateDescriptor<>("pending", PartialResult.class));
        received = getRuntimeContext().getState(new ValueStateDescriptor<>("received", Integer.class));
        result = getRuntimeContext().getState(resultDescriptor());
        cleanupAt = getRuntimeContext().getState(new ValueStateDescriptor<>("cleanup-at", Long.class));
        degraded = getRuntimeContext().getMetricGroup().counter("haim_query_degraded_total");
        lowConfidence = getRuntimeContext().getMetricGroup().counter("haim_query_low_confidence_total");
    }

    @Override
    public void processElement(PartialResult p, Context ctx, Collector<QueryReply> out) throws Exception {
        if (result.value() != null) {
            return; // already answered (a partial that came after the merge timeout)
        }
        PartialResult acc = pending.value();
        int n = received.value() == null ? 0 : received.value();
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
            answer(acc, null, ctx, out);
        } else {
            pending.update(acc);
            received.update(n);
        }
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<QueryReply> out) throws Exception {
        PartialResult acc = pending.value();
        if (acc != null) {
            int n = received.value() == null ? 1 : received.value();
            answer(acc, "results of " + (acc.parts - n) + " of " + acc.parts + " HOT index subtasks missing after "
                    + mergeTimeoutMs + " ms", ctx, out);
        } else if (cleanupAt.value() != null && t >= cleanupAt.value()) {
            result.clear(); // the reply's time to stay queryable is over
            cleanupAt.clear();
        }
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

    private void answer(PartialResult acc, String missing, Context ctx, Collector<QueryReply> out) throws Exception {
        Query q = acc.query;
        Hit[] hits = topK(acc.hits, q.k);
        for (Hit h : hits) {
            h.score = rerank.score(h, q.receivedMs);
        }
        Arrays.sort(hits, Comparator.<Hit>comparingDouble(h -> -h.score).thenComparingInt(h -> h.distance)
                .thenComparing(h -> h.memoryId));
        QueryReply r = new QueryReply();
        r.queryId = q.queryId;
        r.tenant = q.tenant;
        r.kind = q.kind;
        r.replyTo = q.replyTo;
        r.hits = hits;
        r.tier = "hot";
        r.scanned = acc.scanned;
        r.approximate = acc.approximate;
        int best = Arrays.stream(hits).mapToInt(h -> h.distance).min().orElse(Integer.MAX_VALUE);
        r.confidence = best < confidenceThresholdBits ? "high" : "low";
        List<String> why = new ArrayList<>();
        if (missing != null) {
            why.add(missing);
        }
        if (r.confidence.equals("low")) {
            lowConfidence.inc();
            // The blueprint falls back to WARM here; the query path does not search the WARM tier yet, so HOT answers alone.
            why.add("low confidence; WARM is not searched by queries yet");
        }
        r.degraded = !why.isEmpty();
        r.degradedReason = r.degraded ? String.join("; ", why) : null;
        if (r.degraded) {
            degraded.inc();
        }
        r.latencyMs = Math.max(0, System.currentTimeMillis() - q.receivedMs);
        out.collect(r);
        // A prediction is not a use: only the hits of real queries count as accesses.
        for (Hit h : "query".equals(q.kind) ? hits : new Hit[0]) {
            MemoryEvent access = new MemoryEvent();
            access.type = EventType.MEMORY_ACCESS;
            access.tenant = q.tenant;
            access.memoryId = h.memoryId;
            access.contextId = q.contextId;
            access.accessCount = 1;
            access.timestamp = q.receivedMs;
            ctx.output(FEEDBACK, access);
        }
        pending.clear();
        received.clear();
        result.update(r);
        long until = ctx.timerService().currentProcessingTime() + resultTtlMs;
        cleanupAt.update(until);
        ctx.timerService().registerProcessingTimeTimer(until);
    }
}
