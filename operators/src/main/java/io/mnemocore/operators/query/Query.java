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
    /** Wall clock at which the query was prepared, for the in-job latency of the reply. */
    public long preparedMs;

    public Query() {}
}
