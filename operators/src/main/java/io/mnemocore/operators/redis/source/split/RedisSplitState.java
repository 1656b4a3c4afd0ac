package io.mnemocore.operators.redis.source.split;


import java.util.Collection;
import java.util.TreeSet;

/** Mutable progress of a split, advanced by the record emitter as entries go downstream. */
public final class RedisSplitState {
    private final RedisStreamSplit split;
    private String lastDeliveredId;
    private long emitted;
    private final TreeSet<String> claimed;

    public RedisSplitState(RedisStreamSplit split) {
        this.split = split;
        this.lastDeliveredId = split.lastDeliveredId();
        this.emitted = split.emitted();
        this.claimed = new TreeSet<>(split.claimed());
    }

    public void delivered(String id) {
        if (split.claimer()) {
            claimed.add(id);
        } else {
            lastDeliveredId = id;
        }
        emitted++;
    }

    /** Forgets ids whose XACK succeeded: they can no longer come back from the pending list. */
    public void acknowledged(Collection<String> ids) {
        if (split.claimer()) {
            claimed.removeAll(ids);
        }
    }

    public boolean claimer() {
        return split.claimer();
    }

    public String streamKey() {
        return split.streamKey();
    }

    public RedisStreamSplit toSplit() {
        return new RedisStreamSplit(split.streamKey(), split.tenant(), split.consumer(), lastDeliveredId, emitted,
                split.claimer(), claimed);
    }
}
