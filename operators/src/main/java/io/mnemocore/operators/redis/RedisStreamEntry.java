package io.mnemocore.operators.redis;

/** One entry read from a Redis stream: where it came from and the bytes of its {@code data} field. */
public class RedisStreamEntry {
    public String streamKey;
    public String entryId;
    /** The tenant named by a per-tenant stream key, or null on the shared stream. */
    public String tenant;
    /** The {@code data} field; null when the entry has none. */
    public byte[] data;
    /** True when the entry was delivered before (recovered from this consumer's pending list). */
    public boolean redelivered;

    public RedisStreamEntry() {}

    public RedisStreamEntry(String streamKey, String entryId, String tenant, byte[] data, boolean redelivered) {
        this.streamKey = streamKey;
        this.entryId = entryId;
        this.tenant = tenant;
        this.data = data;
        this.redelivered = redelivered;
    }

    @Override
    public String toString() {
        return streamKey + "/" + entryId + (redelivered ? " (redelivered)" : "");
    }
}
