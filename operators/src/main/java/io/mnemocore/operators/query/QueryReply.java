package io.mnemocore.operators.query;

/** The answer to a query, written to its reply_to stream and kept queryable by query_id for a while. */
public class QueryReply {
    public String queryId;
    public String tenant;
    public String kind;
    public String replyTo;
    public Hit[] hits;
    /** The tiers the hits came from: "hot", "warm" or "hot+warm". */
    public String tier;
    public long latencyMs;
    /** "high" when the best hit is within the confidence threshold, else "low". */
    public String confidence;
    public boolean degraded;
    /** Why the reply is degraded (missing partial results, WARM tier unreachable); null if not. */
    public String degradedReason;
    public int scanned;
    public boolean approximate;
    /** inference.predict: the predicted memory ids, best first (the ones not in HOT are being pre-warmed); else null. */
    public String[] predicted;
    /**
     * inference.predict: what made the prediction: "history" (the context's transitions), "content"
     * (the memories nearest to the context_hdv), "history+content" (a history that predicted fewer
     * than k, topped up by the context_hdv) or "none" (neither could predict); else null.
     */
    public String predictedBy;
    /**
     * Where the time went in the job: when the query was prepared (epoch microseconds), then the
     * microseconds after that at which the slowest HOT index subtask started and ended its search,
     * the merge completed, and this reply was made (after any WARM search and the rerank). Null
     * when unknown (a reply decoded from an older job).
     */
    public long[] stagesUs;

    public QueryReply() {}
}
