package io.mnemocore.operators.redis.source.reader;

import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import io.mnemocore.operators.redis.source.split.RedisSplitState;
import io.mnemocore.operators.redis.source.split.RedisStreamSplit;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.source.reader.SingleThreadMultiplexSourceReaderBase;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;

/**
 * Reads entries through one fetcher thread and acknowledges them (XACK) only when the checkpoint
 * holding their effects completes. A failed XACK is retried with the next completed checkpoint;
 * entries that are never acknowledged come back after a restart and are skipped there, so an
 * acknowledgement problem never changes the job's state.
 */
public final class RedisStreamSourceReader
        extends SingleThreadMultiplexSourceReaderBase<RedisStreamEntry, RedisStreamEntry, RedisStreamSplit, RedisSplitState> {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStreamSourceReader.class);

    private final AckTracker acks;
    private final RedisSourceOptions options;
    private final Counter acked;
    private final Counter ackFailures;
    private final JedisPooled ackClient;
    /** Claimer splits' states, pruned once their ids are acknowledged. */
    private final Map<String, RedisSplitState> claimers = new java.util.HashMap<>();

    /** @param fetcherPriority how the fetcher thread is scheduled ({@link RedisStreamSplitReader} applies it) */
    public RedisStreamSourceReader(RedisSourceOptions options, SourceReaderContext context, QueryPathPriority fetcherPriority) {
        this(options, context, fetcherPriority, new AckTracker());
    }

    private RedisStreamSourceReader(RedisSourceOptions options, SourceReaderContext context, QueryPathPriority fetcherPriority,
            AckTracker acks) {
        super(() -> new RedisStreamSplitReader(options, context.metricGroup(), fetcherPriority), new RedisRecordEmitter(acks),
                new Configuration(), context);
        this.acks = acks;
        this.options = options;
        this.acked = context.metricGroup().counter("haim_source_acked_total");
        this.ackFailures = context.metricGroup().counter("haim_source_ack_failures_total");
        // Made at start-up, not at the first completed checkpoint: the pool's first construction
        // (class loading, a captured stack trace) took at least 100 ms of the query source's task
        // thread, which by then runs real-time and holds the queries behind it. It connects on
        // its first XACK, so a Redis that is down at start-up is no error here.
        this.ackClient = options.connection.createClient();
    }

    @Override
    public List<RedisStreamSplit> snapshotState(long checkpointId) {
        acks.snapshot(checkpointId);
        return super.snapshotState(checkpointId);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        Map<String, List<String>> ids = acks.completedUpTo(checkpointId);
        if (ids.isEmpty()) {
            return;
        }
        try {
            for (Map.Entry<String, List<String>> e : ids.entrySet()) {
                acked.inc(RedisStreams.ack(ackClient, e.getKey(), options.group, e.getValue()));
                for (RedisSplitState c : claimers.values()) {
                    if (c.streamKey().equals(e.getKey())) {
                        c.acknowledged(e.getValue());
                    }
                }
            }
        } catch (RuntimeException e) {
            // Safe to defer: unacknowledged entries are redelivered after a restart and skipped
            // there because the restored split already covers them.
            ackFailures.inc();
            LOG.warn("XACK after checkpoint {} failed, retrying with the next one: {}", checkpointId, e.toString());
            acks.retryLater(checkpointId, ids);
        }
    }

    @Override
    protected void onSplitFinished(Map<String, RedisSplitState> finishedSplitIds) {
        claimers.keySet().removeAll(finishedSplitIds.keySet());
    }

    @Override
    protected RedisSplitState initializedState(RedisStreamSplit split) {
        RedisSplitState state = new RedisSplitState(split);
        if (split.claimer()) {
            claimers.put(split.splitId(), state);
        }
        return state;
    }

    @Override
    protected RedisStreamSplit toSplitType(String splitId, RedisSplitState state) {
        return state.toSplit();
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            ackClient.close();
        }
    }
}
