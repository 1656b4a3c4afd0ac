package io.mnemocore.operators.query;

/**
 * A query's HOT hits merged over all HOT index subtasks, on its way to the optional WARM search
 * ({@link WarmFallback}) and the reply ({@link QueryReplies}).
 */
public class MergedQuery {
    public Query query;
    /** The global top-k of the HOT index (and, after the WARM search, of both tiers), by distance. */
    public Hit[] hits;
    public int scanned;
    public boolean approximate;
    /** Why some HOT index subtasks' results are missing; null when all arrived. */
    public String missing;
    /** Whether the WARM tier was asked, and why its answer is missing (timeout, breaker, error); null if it answered. */
    public boolean warmAsked;
    public String warmError;
    /** The slowest HOT index subtask's start and end of the search, and when the merge completed (epoch microseconds). */
    public long indexStartUs;
    public long indexEndUs;
    public long mergedUs;

    public MergedQuery() {}

    /** A shallow copy (the hits and the query are shared). */
    MergedQuery copy() {
        MergedQuery c = new MergedQuery();
        c.query = query;
        c.hits = hits;
        c.scanned = scanned;
        c.approximate = approximate;
        c.missing = missing;
        c.warmAsked = warmAsked;
        c.warmError = warmError;
        c.indexStartUs = indexStartUs;
        c.indexEndUs = indexEndUs;
        c.mergedUs = mergedUs;
        return c;
    }

    /** The best (smallest) distance among the hits, or Integer.MAX_VALUE when there are none. */
    public int bestDistance() {
        int best = Integer.MAX_VALUE;
        for (Hit h : hits) {
            best = Math.min(best, h.distance);
        }
        return best;
    }
}
