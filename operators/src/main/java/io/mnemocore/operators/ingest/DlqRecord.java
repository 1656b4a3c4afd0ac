package io.mnemocore.operators.ingest;

/** A rejected event, as written to {@code haim:dlq}: why, where from, and the original bytes. */
public class DlqRecord {
    public String reason;
    public String detail;
    public String sourceStream;
    public String sourceId;
    public String tenant;
    /** The entry's original {@code data} bytes (null if it had none, or for semantic rejects). */
    public byte[] data;
    public long atMs;

    public DlqRecord() {}

    public DlqRecord(String reason, String detail, String sourceStream, String sourceId, String tenant, byte[] data, long atMs) {
        this.reason = reason;
        this.detail = detail;
        this.sourceStream = sourceStream;
        this.sourceId = sourceId;
        this.tenant = tenant;
        this.data = data;
        this.atMs = atMs;
    }

    @Override
    public String toString() {
        return "DLQ[" + reason + ": " + detail + " @" + sourceStream + "/" + sourceId + "]";
    }
}
