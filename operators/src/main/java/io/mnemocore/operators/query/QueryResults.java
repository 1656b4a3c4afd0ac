package io.mnemocore.operators.query;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The reply to a query (keyed by query_id, chained behind the merger and the WARM search). Hits
 * of a query are ordered by the {@link Rerank} score (similarity, LTP, recency, context hologram);
 * those of an {@code inference.predict} in the order they were predicted. The reply goes out on
 * the main output; every hit of a query goes back to the consolidator as a {@code memory.access}
 * on {@link #FEEDBACK} (memories only scanned, and predictions, are not uses). The reply stays
 * queryable by query_id (state "query-result") until a timer removes it: queryable state cannot
 * have a TTL.
 */
public final class QueryResults extends KeyedProcessFunction<String, MergedQuery, QueryReply> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<MemoryEvent> FEEDBACK = new OutputTag<>("query-feedback") {};
    public static final String RESULT_STATE = "query-result";

    private final Rerank rerank;
    private final int dim;
    private final int confidenceThresholdBits;
    private final long resultTtlMs;
    private transient ValueState<QueryReply> result;
    private transient ValueState<Long> cleanupAt;
    private transient Counter degraded;
    private transient Counter lowConfidence;

    public QueryResults(Rerank rerank, int dim, int confidenceThresholdBits, long resultTtlMs) {
        this.rerank = rerank;
        this.dim = dim;
        this.confidenceThresholdBits = confidenceThresholdBits;
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
        degraded = getRuntimeContext().getMetricGroup().counter("haim_query_degraded_total");
        lowConfidence = getRuntimeContext().getMetricGroup().counter("haim_query_low_confidence_total");
    }

    @Override
    public void processElement(MergedQuery m, Context ctx, Collector<QueryReply> out) throws Exception {
        Query q = m.query;
        Hit[] hits = m.hits.clone();
        if (q.isPredict()) {
            Map<String, Integer> rank = new HashMap<>();
            for (int i = 0; i < q.predicted.length; i++) {
                rank.put(q.predicted[i], i);
            }
            for (Hit h : hits) {
                h.score = Math.max(0, 1.0 - 2.0 * h.distance / dim); // how clearly it was predicted
            }
            Arrays.sort(hits, Comparator.comparingInt(h -> rank.getOrDefault(h.memoryId, Integer.MAX_VALUE)));
        } else {
            for (Hit h : hits) {
                h.score = rerank.score(h, q.receivedMs, q.tenant, q.contextHologram);
            }
            Arrays.sort(hits, Comparator.<Hit>comparingDouble(h -> -h.score).thenComparingInt(h -> h.distance)
                    .thenComparing(h -> h.memoryId));
        }
        QueryReply r = new QueryReply();
        r.queryId = q.queryId;
        r.tenant = q.tenant;
        r.kind = q.kind;
        r.replyTo = q.replyTo;
        r.hits = hits;
        r.tier = tiers(hits, m);
        r.scanned = m.scanned;
        r.approximate = m.approximate;
        if (q.isPredict()) {
            r.predicted = q.predicted;
            r.confidence = q.predicted.length > 0 ? "high" : "low";
        } else {
            r.confidence = m.bestDistance() < confidenceThresholdBits ? "high" : "low";
        }
        List<String> why = new ArrayList<>();
        if (m.missing != null) {
            why.add(m.missing);
        }
        if (m.warmError != null) {
            why.add((q.isPredict() ? "predicted memories not looked up in WARM: " : "low confidence, answered from HOT alone: ")
                    + m.warmError);
        }
        if (r.confidence.equals("low")) {
            lowConfidence.inc();
        }
        r.degraded = !why.isEmpty();
        r.degradedReason = r.degraded ? String.join("; ", why) : null;
        if (r.degraded) {
            degraded.inc();
        }
        r.latencyMs = Math.max(0, System.currentTimeMillis() - q.receivedMs);
        out.collect(r);
        if (!q.isPredict()) {
            for (Hit h : hits) {
                MemoryEvent access = new MemoryEvent();
                access.type = EventType.MEMORY_ACCESS;
                access.tenant = q.tenant;
                access.memoryId = h.memoryId;
                access.contextId = q.contextId;
                access.accessCount = 1;
                access.timestamp = q.receivedMs;
                ctx.output(FEEDBACK, access);
            }
        }
        result.update(r);
        // A query_id asked again leaves its earlier timer behind; onTimer ignores it (no read here).
        long until = ctx.timerService().currentProcessingTime() + resultTtlMs;
        cleanupAt.update(until);
        ctx.timerService().registerProcessingTimeTimer(until);
    }

    /** "hot", "warm" or "hot+warm": the tiers the hits came from (with no hits, the tiers that answered). */
    private static String tiers(Hit[] hits, MergedQuery m) {
        boolean hot = hits.length == 0;
        boolean warm = hits.length == 0 && m.warmAsked && m.warmError == null;
        for (Hit h : hits) {
            hot |= "hot".equals(h.tier);
            warm |= "warm".equals(h.tier);
        }
        return hot && warm ? "hot+warm" : warm ? "warm" : "hot";
    }

    @Override
    public void onTimer(long t, OnTimerContext ctx, Collector<QueryReply> out) throws Exception {
        if (cleanupAt.value() != null && t >= cleanupAt.value()) {
            result.clear(); // the reply's time to stay queryable is over
            cleanupAt.clear();
        }
    }
}
