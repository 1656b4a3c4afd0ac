package io.mnemocore.operators.redis.source.enumerator;

import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import io.mnemocore.operators.redis.source.split.RedisStreamSplit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;

/**
 * Creates {@code consumersPerStream} splits per stream, one per consumer name, and assigns them
 * to readers deterministically. With per-tenant streams on, it discovers new
 * {@code <prefix><tenant>} streams periodically (SCAN ... TYPE stream).
 */
public final class RedisStreamEnumerator implements SplitEnumerator<RedisStreamSplit, RedisEnumeratorState> {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStreamEnumerator.class);

    private final SplitEnumeratorContext<RedisStreamSplit> context;
    private final RedisSourceOptions options;
    private final Set<String> knownStreams;
    /** Splits waiting for their reader to register. */
    private final Map<Integer, List<RedisStreamSplit>> pending = new HashMap<>();
    private final Set<Integer> noMoreSignalled = new HashSet<>();
    private final boolean restored;
    /** False until every split that will ever exist has been created (bounded mode only ends then). */
    private boolean allSplitsCreated;

    public RedisStreamEnumerator(SplitEnumeratorContext<RedisStreamSplit> context, RedisSourceOptions options,
                                 RedisEnumeratorState restoredState) {
        this.context = context;
        this.options = options;
        this.restored = restoredState != null;
        this.knownStreams = new TreeSet<>(restored ? restoredState.knownStreams() : Set.of());
    }

    @Override
    public void start() {
        // After a restore, the splits of known streams live in the readers' state already.
        List<String> initial = new ArrayList<>();
        for (String s : options.streams) {
            if (knownStreams.add(s)) {
                initial.add(s);
            }
        }
        allSplitsCreated = options.tenantStreamPrefix == null;
        createSplits(initial);
        if (options.tenantStreamPrefix != null && !options.bounded()) {
            context.callAsync(this::discover, this::onDiscovered, 0, options.discoveryIntervalMs);
        } else if (options.tenantStreamPrefix != null) {
            context.callAsync(this::discover, this::onDiscovered);
        }
    }

    private List<String> discover() {
        try (JedisPooled redis = options.connection.createClient()) {
            return RedisStreams.scanStreams(redis, options.tenantStreamPrefix + "*");
        }
    }

    private void onDiscovered(List<String> streams, Throwable error) {
        if (error != null) {
            // Redis may be down; discovery runs again on the next period.
            LOG.warn("stream discovery failed: {}", error.toString());
            if (options.bounded()) {
                context.callAsync(this::discover, this::onDiscovered);
            }
            return;
        }
        List<String> fresh = new ArrayList<>();
        for (String s : streams) {
            if (options.tenantOf(s) != null && knownStreams.add(s)) {
                fresh.add(s);
            }
        }
        if (options.bounded()) {
            allSplitsCreated = true;
        }
        if (!fresh.isEmpty()) {
            LOG.info("discovered tenant streams {}", fresh);
        }
        createSplits(fresh);
    }

    private void createSplits(List<String> streams) {
        for (String stream : streams) {
            for (int i = 0; i < options.consumersPerStream; i++) {
                String consumer = options.consumerPrefix + "-" + i;
                RedisStreamSplit split = RedisStreamSplit.fresh(stream, options.tenantOf(stream), consumer);
                pending.computeIfAbsent(owner(stream, i), k -> new ArrayList<>()).add(split);
            }
            if (options.claimIdleMs > 0 && !options.bounded()) {
                RedisStreamSplit claimer = RedisStreamSplit.freshClaimer(stream, options.tenantOf(stream), options.claimerConsumer());
                pending.computeIfAbsent(owner(stream, options.consumersPerStream), k -> new ArrayList<>()).add(claimer);
            }
        }
        assignPending();
    }

    /** Consecutive consumers of one stream land on consecutive readers. */
    private int owner(String stream, int consumerIndex) {
        return Math.floorMod(stream.hashCode() + consumerIndex, context.currentParallelism());
    }

    private void assignPending() {
        for (int reader : context.registeredReaders().keySet()) {
            List<RedisStreamSplit> splits = pending.remove(reader);
            if (splits != null && !splits.isEmpty()) {
                for (RedisStreamSplit s : splits) {
                    context.assignSplit(s, reader);
                }
            }
            if (options.bounded() && allSplitsCreated && noMoreSignalled.add(reader)) {
                context.signalNoMoreSplits(reader);
            }
        }
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        // Splits are pushed; nothing to do.
    }

    @Override
    public void addSplitsBack(List<RedisStreamSplit> splits, int subtaskId) {
        pending.computeIfAbsent(subtaskId, k -> new ArrayList<>()).addAll(splits);
        noMoreSignalled.remove(subtaskId);
    }

    @Override
    public void addReader(int subtaskId) {
        assignPending();
    }

    @Override
    public RedisEnumeratorState snapshotState(long checkpointId) {
        return new RedisEnumeratorState(knownStreams);
    }

    @Override
    public void close() {}
}
