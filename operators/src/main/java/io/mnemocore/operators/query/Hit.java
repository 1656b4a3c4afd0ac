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

    /** A new hit with the same fields (the payload shared: never written after the hit is made). */
    public Hit copy() {
        Hit h = of(memoryId, distance, tier, strength, updatedMs, halfLifeMs, lastAccessMs, contextId, payload);
        h.score = score;
        return h;
    }

    /** A hit with a memory's facts as its tier holds them (score is set by the rerank). */
    static Hit of(String memoryId, int distance, String tier, double strength, long updatedMs, double halfLifeMs,
                  long lastAccessMs, String contextId, byte[] payload) {
        Hit h = new Hit();
        h.memoryId = memoryId;
        h.distance = distance;
        h.tier = tier;
        h.strength = strength;
        h.updatedMs = updatedMs;
        h.halfLifeMs = halfLifeMs;
        h.lastAccessMs = lastAccessMs;
        h.contextId = contextId;
        h.payload = payload;
        return h;
    }
}
