package io.mnemocore.operators.redis.source.split;

import io.mnemocore.operators.redis.StreamIds;
import org.apache.flink.api.connector.source.SourceSplit;

/**
 * One consumer of the group on one stream. The split carries the id of the last entry it
 * delivered before the checkpoint it was stored in: on restore, this consumer's pending entries
 * up to that id are already in the job's state and are acknowledged without being emitted again.
 */
public final class RedisStreamSplit implements SourceSplit {
    private final String streamKey;
    private final String tenant;
    private final String consumer;
    private final String lastDeliveredId;
    private final long emitted;

    public RedisStreamSplit(String streamKey, String tenant, String consumer, String lastDeliveredId, long emitted) {
        this.streamKey = streamKey;
        this.tenant = tenant;
        this.consumer = consumer;
        this.lastDeliveredId = lastDeliveredId;
        this.emitted = emitted;
    }

    public static RedisStreamSplit fresh(String streamKey, String tenant, String consumer) {
        return new RedisStreamSplit(streamKey, tenant, consumer, StreamIds.ZERO, 0);
    }

    public static String splitId(String streamKey, String consumer) {
        return streamKey + "@" + consumer;
    }

    @Override
    public String splitId() {
        return splitId(streamKey, consumer);
    }

    public String streamKey() {
        return streamKey;
    }

    public String tenant() {
        return tenant;
    }

    public String consumer() {
        return consumer;
    }

    public String lastDeliveredId() {
        return lastDeliveredId;
    }

    public long emitted() {
        return emitted;
    }

    @Override
    public String toString() {
        return "RedisStreamSplit{" + splitId() + ", lastDelivered=" + lastDeliveredId + ", emitted=" + emitted + "}";
    }
}
