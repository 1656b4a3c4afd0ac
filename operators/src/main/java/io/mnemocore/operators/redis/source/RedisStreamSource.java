package io.mnemocore.operators.redis.source;

import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.source.enumerator.RedisEnumeratorState;
import io.mnemocore.operators.redis.source.enumerator.RedisStreamEnumerator;
import io.mnemocore.operators.redis.source.reader.RedisStreamSourceReader;
import io.mnemocore.operators.redis.source.split.RedisStreamSplit;
import io.mnemocore.operators.redis.source.split.RedisStreamSplitSerializer;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * FLIP-27 source over Redis Streams with a consumer group: XREADGROUP in batches, XACK only after
 * the checkpoint that holds an entry's effects completes, and recovery of this job's pending
 * entries after a restart without applying any entry twice.
 */
public final class RedisStreamSource
        implements Source<RedisStreamEntry, RedisStreamSplit, RedisEnumeratorState>, ResultTypeQueryable<RedisStreamEntry> {
    private static final long serialVersionUID = 1L;

    private final RedisSourceOptions options;
    private QueryPathPriority fetcherPriority = QueryPathPriority.NORMAL;

    public RedisStreamSource(RedisSourceOptions options) {
        this.options = options;
    }

    /**
     * How the fetcher threads, which wait on Redis for the entries, are scheduled: a query source's
     * are on the query path. They do not inherit a real-time policy from the task thread
     * ({@link QueryPathPriority}), so they apply it themselves.
     */
    public RedisStreamSource withFetcherPriority(QueryPathPriority priority) {
        this.fetcherPriority = Objects.requireNonNull(priority);
        return this;
    }

    public QueryPathPriority fetcherPriority() {
        return fetcherPriority;
    }

    @Override
    public Boundedness getBoundedness() {
        return options.bounded() ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<RedisStreamSplit, RedisEnumeratorState> createEnumerator(
            SplitEnumeratorContext<RedisStreamSplit> ctx) {
        return new RedisStreamEnumerator(ctx, options, null);
    }

    @Override
    public SplitEnumerator<RedisStreamSplit, RedisEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<RedisStreamSplit> ctx, RedisEnumeratorState state) {
        return new RedisStreamEnumerator(ctx, options, state);
    }

    @Override
    public SimpleVersionedSerializer<RedisStreamSplit> getSplitSerializer() {
        return RedisStreamSplitSerializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<RedisEnumeratorState> getEnumeratorCheckpointSerializer() {
        return new RedisEnumeratorState.Serializer();
    }

    @Override
    public SourceReader<RedisStreamEntry, RedisStreamSplit> createReader(SourceReaderContext ctx) {
        return new RedisStreamSourceReader(options, ctx, fetcherPriority);
    }

    @Override
    public TypeInformation<RedisStreamEntry> getProducedType() {
        return TypeInformation.of(RedisStreamEntry.class);
    }
}
