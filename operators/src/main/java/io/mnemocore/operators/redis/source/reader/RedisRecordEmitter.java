package io.mnemocore.operators.redis.source.reader;

import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.StreamIds;
import io.mnemocore.operators.redis.source.split.RedisSplitState;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.connector.base.source.reader.RecordEmitter;

/**
 * Emits an entry with its Redis id's milliseconds as the record timestamp, advances the split's
 * last-delivered id and remembers the id for the acknowledgement after the next checkpoint.
 */
final class RedisRecordEmitter implements RecordEmitter<RedisStreamEntry, RedisStreamEntry, RedisSplitState> {
    private final AckTracker acks;

    RedisRecordEmitter(AckTracker acks) {
        this.acks = acks;
    }

    @Override
    public void emitRecord(RedisStreamEntry e, SourceOutput<RedisStreamEntry> output, RedisSplitState state) {
        output.collect(e, StreamIds.millis(e.entryId));
        state.delivered(e.entryId);
        acks.emitted(e.streamKey, e.entryId);
    }
}
