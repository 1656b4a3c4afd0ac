package io.mnemocore.operators.query;

/** One candidate memory of a query, with what the rerank and the reply need. */
public class Hit {
    public String memoryId;
    public int distance;
    public double score;
    public String tier;
    /** LTP facts at {@code updatedMs}; the merger decays the strength to the query's time. */
    public double strength;
    public long updatedMs;
    public double halfLifeMs;
    public long lastAccessMs;
    public String contextId;
    public byte[] payload;

    public Hit() {}
}
