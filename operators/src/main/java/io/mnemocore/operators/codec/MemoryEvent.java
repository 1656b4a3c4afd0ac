package io.mnemocore.operators.codec;

import java.util.Arrays;
import java.util.Objects;

/**
 * One decoded Subconscious Bus event. A Flink POJO (public fields, no-arg constructor, arrays
 * rather than collections) so that it serializes without Kryo and survives savepoint upgrades.
 * Fields that a type does not use stay at their defaults.
 */
public class MemoryEvent {
    public static final String DEFAULT_TENANT = "default";

    public EventType type;
    public String tenant = DEFAULT_TENANT;
    /** The stream entry id it came from ({@code 1700000000000-0}); null outside a stream. */
    public String sourceId;
    /** The stream it came from (set by the job, not part of the wire format). */
    public String sourceStream;
    public String memoryId;
    public String contextId;
    /** The HDV (write/query) or context HDV (predict), as packed words; null when absent. */
    public long[] hdv;
    public String text;
    /** NaN when the event did not give one. */
    public double ltpStrength = Double.NaN;
    /** Event time in epoch milliseconds; 0 when the event did not give one. */
    public long timestamp;
    public int accessCount;
    public long lastAccess;
    /** consolidation.trigger: hot_to_warm, warm_to_cold, rehydrate or prewarm. */
    public String tier;
    public String[] memoryIds;
    public int predictionWindowS;
    public String queryId;
    public int k;
    public String replyTo;
    /** An opaque msgpack value, kept byte for byte; null when absent. */
    public byte[] payload;
    /** memory.restore: the archive location it was read from (see {@code ColdArchive.Location}). */
    public String archive;
    /** memory.restore: "access" (the job's rehydrator: applies only to a memory still COLD at that location) or "batch". */
    public String origin;
    /** memory.restore: the LTP facts as archived (strength is {@link #ltpStrength} at this time). */
    public long updatedMs;
    public double halfLifeMs;

    public MemoryEvent() {}

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MemoryEvent)) {
            return false;
        }
        MemoryEvent e = (MemoryEvent) o;
        return type == e.type && Objects.equals(tenant, e.tenant) && Objects.equals(sourceId, e.sourceId)
                && Objects.equals(memoryId, e.memoryId) && Objects.equals(contextId, e.contextId)
                && Arrays.equals(hdv, e.hdv) && Objects.equals(text, e.text)
                && Double.compare(ltpStrength, e.ltpStrength) == 0 && timestamp == e.timestamp
                && accessCount == e.accessCount && lastAccess == e.lastAccess && Objects.equals(tier, e.tier)
                && Arrays.equals(memoryIds, e.memoryIds) && predictionWindowS == e.predictionWindowS
                && Objects.equals(queryId, e.queryId) && k == e.k && Objects.equals(replyTo, e.replyTo)
                && Arrays.equals(payload, e.payload) && Objects.equals(archive, e.archive)
                && Objects.equals(origin, e.origin) && updatedMs == e.updatedMs
                && Double.compare(halfLifeMs, e.halfLifeMs) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, tenant, memoryId, queryId, timestamp);
    }

    @Override
    public String toString() {
        return "MemoryEvent{" + (type == null ? null : type.wire()) + ", tenant=" + tenant
                + (memoryId != null ? ", memoryId=" + memoryId : "")
                + (queryId != null ? ", queryId=" + queryId : "")
                + (contextId != null ? ", contextId=" + contextId : "")
                + (hdv != null ? ", hdv=" + hdv.length * 64 + "b" : "")
                + (text != null ? ", text=" + text.length() + "ch" : "")
                + (!Double.isNaN(ltpStrength) ? ", ltp=" + ltpStrength : "")
                + (sourceId != null ? ", source=" + sourceId : "") + "}";
    }
}
