package io.mnemocore.operators.redis.source;

import io.mnemocore.operators.redis.RedisConnectionConfig;
import java.io.Serializable;
import java.util.List;

/** Settings of one {@link RedisStreamSource}; see the {@code haim.redis.*} config keys. */
public final class RedisSourceOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    public final RedisConnectionConfig connection;
    /** Streams read from the start (the shared bus); events there carry their tenant in the body. */
    public final List<String> streams;
    /**
     * When non-null, streams matching {@code tenantStreamPrefix + "*"} are discovered and read too;
     * the tenant is the key's suffix, not anything the event claims.
     */
    public final String tenantStreamPrefix;
    public final String group;
    public final String consumerPrefix;
    public final int consumersPerStream;
    public final int batchSize;
    public final long blockMs;
    public final long discoveryIntervalMs;
    /** Bounded mode: each split finishes after this many entries (-1 = unbounded). */
    public final long stopAfterEntries;
    /** Bounded mode: each split finishes once it has delivered an entry at or after this id (null = none). */
    public final String stopAtId;
    /**
     * Entries pending this long under a consumer that is not this job's (another deployment, an
     * external worker that died) are claimed and processed; 0 disables claiming.
     */
    public final long claimIdleMs;
    public final long claimIntervalMs;

    public RedisSourceOptions(RedisConnectionConfig connection, List<String> streams, String tenantStreamPrefix,
                              String group, String consumerPrefix, int consumersPerStream, int batchSize,
                              long blockMs, long discoveryIntervalMs, long stopAfterEntries, String stopAtId) {
        this(connection, streams, tenantStreamPrefix, group, consumerPrefix, consumersPerStream, batchSize, blockMs,
                discoveryIntervalMs, stopAfterEntries, stopAtId, 0, 0);
    }

    public RedisSourceOptions(RedisConnectionConfig connection, List<String> streams, String tenantStreamPrefix,
                              String group, String consumerPrefix, int consumersPerStream, int batchSize,
                              long blockMs, long discoveryIntervalMs, long stopAfterEntries, String stopAtId,
                              long claimIdleMs, long claimIntervalMs) {
        if (consumersPerStream < 1) {
            throw new IllegalArgumentException("consumersPerStream must be >= 1");
        }
        this.connection = connection;
        this.streams = List.copyOf(streams);
        this.tenantStreamPrefix = tenantStreamPrefix;
        this.group = group;
        this.consumerPrefix = consumerPrefix;
        this.consumersPerStream = consumersPerStream;
        this.batchSize = batchSize;
        this.blockMs = blockMs;
        this.discoveryIntervalMs = discoveryIntervalMs;
        this.stopAfterEntries = stopAfterEntries;
        this.stopAtId = stopAtId;
        this.claimIdleMs = claimIdleMs;
        this.claimIntervalMs = claimIntervalMs;
    }

    public boolean bounded() {
        return stopAfterEntries >= 0 || stopAtId != null;
    }

    public RedisSourceOptions withBounds(long stopAfter, String stopAt) {
        return new RedisSourceOptions(connection, streams, tenantStreamPrefix, group, consumerPrefix,
                consumersPerStream, batchSize, blockMs, discoveryIntervalMs, stopAfter, stopAt, claimIdleMs, claimIntervalMs);
    }

    /** The consumer name of the claimer split of each stream. */
    public String claimerConsumer() {
        return consumerPrefix + "-claim";
    }

    /** Whether a consumer of the group belongs to this job (its splits recover their own entries). */
    public boolean ownConsumer(String name) {
        return name.startsWith(consumerPrefix + "-");
    }

    /** The tenant a stream key names, or null for the shared streams. */
    public String tenantOf(String streamKey) {
        if (tenantStreamPrefix != null && streamKey.startsWith(tenantStreamPrefix)
                && streamKey.length() > tenantStreamPrefix.length()) {
            return streamKey.substring(tenantStreamPrefix.length());
        }
        return null;
    }
}
