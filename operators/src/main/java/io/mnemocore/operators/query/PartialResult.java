package io.mnemocore.operators.query;

/** One HOT index subtask's top-k for a query; the merger waits for all {@code parts} of them. */
public class PartialResult {
    public Query query;
    public int subtask;
    public int parts;
    /** Rows this subtask scanned for the query's tenant, and how (exact or approximate). */
    public int scanned;
    public boolean approximate;
    public Hit[] hits;
    /**
     * When this subtask began and finished the query (epoch microseconds). Merged, the pair of the
     * subtask that finished last: the one the reply waited for.
     */
    public long indexStartUs;
    public long indexEndUs;

    public PartialResult() {}
}
