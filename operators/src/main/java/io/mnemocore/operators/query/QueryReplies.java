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
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The reply to a query (chained behind the merger and the WARM search; no state, so nothing on
 * the reply path waits for a state snapshot). Hits of a query are ordered by the {@link Rerank}
 * score (similarity, LTP, recency, context hologram); those of an {@code inference.predict} in the
 * order they were predicted, or, for one left to its context_hdv, by distance, keeping only those
 * clearly nearer than chance (a history that predicted fewer than k is topped up that way, after
 * its own). The reply goes out on the main output, to the reply streams and to
 * {@link QueryResults}, which keeps it queryable; every hit of a query goes back to the
 * consolidator as a {@code memory.access} on {@link #FEEDBACK} (memories only scanned, and
 * predictions, are not uses), and a prediction by content sends its memories there as a
 * {@code prewarm} trigger.
 */
public final class QueryReplies extends ProcessFunction<MergedQuery, QueryReply> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<MemoryEvent> FEEDBACK = new OutputTag<>("query-feedback") {};

    private final Rerank rerank;
    private final int dim;
    private final int confidenceThresholdBits;
    private boolean prewarm;
    private transient Counter degraded;
    private transient Counter lowConfidence;
    private transient Counter realtimeSleeps;

    public QueryReplies(Rerank rerank, int dim, int confidenceThresholdBits) {
        this.rerank = rerank;
        this.dim = dim;
        this.confidenceThresholdBits = confidenceThresholdBits;
    }

    /** Whether a prediction by content sends its memories to be pre-warmed ({@code haim.inference.prewarm}); off unless set. */
    public QueryReplies withPrewarm(boolean prewarm) {
        this.prewarm = prewarm;
        return this;
    }

    @Override
    public void open(OpenContext ctx) {
        degraded = getRuntimeContext().getMetricGroup().counter("haim_query_degraded_total");
        lowConfidence = getRuntimeContext().getMetricGroup().counter("haim_query_low_confidence_total");
        realtimeSleeps = getRuntimeContext().getMetricGroup().counter("haim_realtime_sleeps_total");
    }

    @Override
    public void processElement(MergedQuery m, Context ctx, Collector<QueryReply> out) throws Exception {
        Query q = m.query;
        Hit[] hits = m.hits.clone();
        String[] byContent = null; // the memories the context_hdv predicts
        if (q.predictsByContent()) {
            hits = clearlyNear(hits, null, q.k);
            byContent = ids(hits);
        } else if (q.isPredict()) {
            Map<String, Integer> rank = new HashMap<>();
            for (int i = 0; i < q.predicted.length; i++) {
                rank.put(q.predicted[i], i);
            }
            List<Hit> fromHistory = new ArrayList<>();
            for (Hit h : hits) {
                if (rank.containsKey(h.memoryId)) {
                    fromHistory.add(h);
                }
            }
            fromHistory.sort(Comparator.comparingInt(h -> rank.get(h.memoryId)));
            Hit[] topUp = q.contentTopUp ? clearlyNear(hits, rank, q.k - q.predicted.length) : new Hit[0];
            byContent = q.contentTopUp ? ids(topUp) : null;
            hits = QueryMerger.concat(fromHistory.toArray(new Hit[0]), topUp);
        }
        if (q.isPredict()) {
            for (Hit h : hits) {
                h.score = Math.max(0, 1.0 - 2.0 * h.distance / dim); // how clearly it was predicted
            }
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
        if (q.predictsByContent()) {
            r.predicted = byContent;
            r.predictedBy = byContent.length > 0 ? "content" : "none";
            r.confidence = hits.length > 0 && hits[0].distance < confidenceThresholdBits ? "high" : "low";
        } else if (q.isPredict()) {
            r.predicted = q.predicted;
            r.predictedBy = q.predicted.length == 0 ? "none" : "history";
            if (byContent != null && byContent.length > 0) {
                r.predicted = Arrays.copyOf(q.predicted, q.predicted.length + byContent.length);
                System.arraycopy(byContent, 0, r.predicted, q.predicted.length, byContent.length);
                r.predictedBy = "history+content";
            }
            r.confidence = q.predicted.length > 0 ? "high" : "low";
        } else {
            r.confidence = m.bestDistance() < confidenceThresholdBits ? "high" : "low";
        }
        List<String> why = new ArrayList<>();
        if (m.missing != null) {
            why.add(m.missing);
        }
        if (m.warmError != null) {
            why.add((q.predictsFromHistory() ? "predicted memories not looked up in WARM: " : "low confidence, answered from HOT alone: ")
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
        long nowUs = StageClock.nowUs();
        r.latencyMs = Math.max(0, nowUs / 1_000 - q.receivedMs);
        long p = q.preparedUs;
        // A query restored from a checkpoint of an older job has no preparation time.
        r.stagesUs = p <= 0 ? null : new long[] {p, m.indexStartUs - p, m.indexEndUs - p, m.mergedUs - p, nowUs - p};
        out.collect(r);
        if (byContent != null && prewarm && byContent.length > 0) {
            // ActiveInference pre-warms what the history predicts; these it could not know before the search.
            ctx.output(FEEDBACK, ActiveInference.prewarmTrigger(q, byContent));
        }
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
        // A boundary of the merger's thread after each reply, not only after each merge: the WARM
        // step emits its results from the mailbox, up to 100 of them inside one merge element while
        // its queue is full, and the budget sees the thread's CPU only at boundaries.
        QueryPathPriority.pace(realtimeSleeps);
    }

    /**
     * A search's hits that are clearly nearer to the context than chance (only those are a
     * prediction worth pre-warming), nearest first, at most {@code max}, leaving out {@code skip}'s ids.
     */
    private Hit[] clearlyNear(Hit[] hits, Map<String, Integer> skip, int max) {
        int cut = ActiveInference.chanceCut(dim);
        return Arrays.stream(hits).filter(h -> h.distance < cut && (skip == null || !skip.containsKey(h.memoryId)))
                .sorted(Comparator.<Hit>comparingInt(h -> h.distance).thenComparing(h -> h.memoryId))
                .limit(Math.max(0, max)).toArray(Hit[]::new);
    }

    private static String[] ids(Hit[] hits) {
        return Arrays.stream(hits).map(h -> h.memoryId).toArray(String[]::new);
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
}
