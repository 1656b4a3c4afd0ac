package io.mnemocore.operators.redis.source.split;

import io.mnemocore.operators.redis.StreamIds;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.flink.api.connector.source.SourceSplit;

/**
 * One consumer of the group on one stream. The split carries the id of the last entry it
 * delivered before the checkpoint it was stored in: on restore, this consumer's pending entries
 * up to that id are already in the job's state and are acknowledged without being emitted again.
 *
 * <p>A claimer split takes over entries left pending by consumers that are not this job's. Those
 * come in no particular id order, so instead of a last-delivered id it carries the exact set of
 * ids it emitted that are not yet known to be acknowledged.
 */
public final class RedisStreamSplit implements SourceSplit {
    private final String streamKey;
    private final String tenant;
    private final String consumer;
    private final String lastDeliveredId;
    private final long emitted;
    private final boolean claimer;
    private final SortedSet<String> claimed;

    public RedisStreamSplit(String streamKey, String tenant, String consumer, String lastDeliveredId, long emitted) {
        this(streamKey, tenant, consumer, lastDeliveredId, emitted, false, Collections.emptySortedSet());
    }

    public RedisStreamSplit(String streamKey, String tenant, String consumer, String lastDeliveredId, long emitted,
                            boolean claimer, SortedSet<String> claimed) {
        this.streamKey = streamKey;
        this.tenant = tenant;
        this.consumer = consumer;
        this.lastDeliveredId = lastDeliveredId;
        this.emitted = emitted;
        this.claimer = claimer;
        this.claimed = Collections.unmodifiableSortedSet(new TreeSet<>(claimed));
    }

    public static RedisStreamSplit freshClaimer(String streamKey, String tenant, String consumer) {
        return new RedisStreamSplit(streamKey, tenant, consumer, StreamIds.ZERO, 0, true, Collections.emptySortedSet());
    }

    public boolean claimer() {
        return claimer;
    }

    /** Claimer splits: ids emitted and not yet known to be acknowledged. */
    public SortedSet<String> claimed() {
        return claimed;
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
        return "RedisStreamSplit{" + splitId() + (claimer ? ", claimer, unacked=" + claimed.size() : ", lastDelivered=" + lastDeliveredId)
                + ", emitted=" + emitted + "}";
    }
}
