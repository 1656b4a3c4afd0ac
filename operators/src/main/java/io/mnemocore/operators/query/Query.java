package io.mnemocore.operators.query;

/** A query (or inference.predict) ready for the HOT index: its vector encoded, its arrival noted. */
public class Query {
    public String queryId;
    public String tenant;
    /** "query" or "inference.predict". */
    public String kind;
    public long[] hdv;
    public int k;
    public String contextId;
    public String replyTo;
    /** When the query entered the job (Redis entry time, epoch ms): the start of its latency. */
    public long receivedMs;
    /** Wall clock at which the query was prepared (epoch microseconds), where its stage times start. */
    public long preparedUs;
    /**
     * The context hologram of (tenant, context_id) at the time of the query ({@link ActiveInference}),
     * for the rerank's context term; null without a context, before any use in it, and for predictions.
     */
    public long[] contextHologram;
    /**
     * inference.predict: the memory ids the context's history predicts, best first, and their
     * distance to the prediction; null after {@link ActiveInference} when the prediction is left to
     * the context_hdv ({@link #predictsByContent}).
     */
    public String[] predicted;
    public int[] predictedDistance;
    /**
     * inference.predict from history that predicted fewer than k memories and carries a context_hdv
     * ({@link ActiveInference}): the memories nearest to that vector fill the rest, as for a
     * prediction by content.
     */
    public boolean contentTopUp;
    /** inference.predict: how far ahead to predict (its prediction_window). */
    public long predictionWindowMs;
    /** On the edge into the HOT index: the key of the index subtask this copy is for ({@link QueryFanOut}). */
    public String route;

    public Query() {}

    /** A shallow copy: the vectors and arrays are shared, never written after preparation. */
    public Query copy() {
        Query q = new Query();
        q.queryId = queryId;
        q.tenant = tenant;
        q.kind = kind;
        q.hdv = hdv;
        q.k = k;
        q.contextId = contextId;
        q.replyTo = replyTo;
        q.receivedMs = receivedMs;
        q.preparedUs = preparedUs;
        q.contextHologram = contextHologram;
        q.predicted = predicted;
        q.predictedDistance = predictedDistance;
        q.contentTopUp = contentTopUp;
        q.predictionWindowMs = predictionWindowMs;
        q.route = route;
        return q;
    }

    /** inference.predict, whichever way it is answered. */
    public boolean isPredict() {
        return "inference.predict".equals(kind);
    }

    /** inference.predict that its context's history answered ({@link ActiveInference}): its hits are the predicted memories. */
    public boolean predictsFromHistory() {
        return isPredict() && predicted != null;
    }

    /**
     * inference.predict that its context's history could not answer, left with no prediction by
     * {@link ActiveInference}: searched like a query with its {@code context_hdv}, its hits are the
     * memories nearest to the context (QueryReplies keeps those clearly closer than chance).
     */
    public boolean predictsByContent() {
        return isPredict() && predicted == null;
    }

    /** Whether the HOT index and the WARM tier search the vector: a query, a prediction by content, or one topped up by it. */
    public boolean searchesByContent() {
        return !predictsFromHistory() || contentTopUp;
    }
}
