package io.mnemocore.operators.redis.source.split;

/** Mutable progress of a split, advanced by the record emitter as entries go downstream. */
public final class RedisSplitState {
    private final RedisStreamSplit split;
    private String lastDeliveredId;
    private long emitted;

    public RedisSplitState(RedisStreamSplit split) {
        this.split = split;
        this.lastDeliveredId = split.lastDeliveredId();
        this.emitted = split.emitted();
    }

    public void delivered(String id) {
        lastDeliveredId = id;
        emitted++;
    }

    public String streamKey() {
        return split.streamKey();
    }

    public RedisStreamSplit toSplit() {
        return new RedisStreamSplit(split.streamKey(), split.tenant(), split.consumer(), lastDeliveredId, emitted);
    }
}
