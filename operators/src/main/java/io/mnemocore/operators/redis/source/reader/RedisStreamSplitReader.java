package io.mnemocore.operators.redis.source.reader;

import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.redis.Backoff;
import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.operators.redis.StreamIds;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import io.mnemocore.operators.redis.source.split.RedisStreamSplit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.connector.base.source.reader.RecordsBySplits;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitReader;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsChange;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Fetches entries for the splits of one reader (runs on the fetcher thread).
 *
 * <p>A newly assigned split first drains its consumer's pending entries list (XREADGROUP from id
 * 0): entries up to the split's last-delivered id are already in the restored state and are only
 * acknowledged; later ones are emitted again as redelivered. Then it reads new entries with
 * {@code >}. When Redis is unreachable it backs off and retries; nothing is skipped.
 */
final class RedisStreamSplitReader implements SplitReader<RedisStreamEntry, RedisStreamSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStreamSplitReader.class);
    private static final long METRICS_INTERVAL_MS = 5_000;

    private static final class Progress {
        final RedisStreamSplit split;
        boolean groupReady;
        boolean recovering = true;
        String pendingCursor = StreamIds.ZERO;
        long emitted;
        long nextClaimAt;

        Progress(RedisStreamSplit split) {
            this.split = split;
            this.emitted = split.emitted();
        }
    }

    private final RedisSourceOptions options;
    private final Map<String, Progress> splits = new LinkedHashMap<>();
    private final Backoff backoff = new Backoff(100, 5_000);
    private final Counter redelivered;
    private final Counter skippedAlreadyInState;
    private final Counter reconnects;
    private final Counter claimed;
    private final Counter realtimeSleeps;
    private volatile long groupLag;
    private volatile long groupPending;
    private long lastMetricsAt;
    private int cursor;
    private JedisPooled redis;
    private final QueryPathPriority priority;
    /** The fetcher thread has its priority: this reader is created, but not run, on the task thread. */
    private boolean prioritized;

    /** @param priority how the fetcher thread that runs this reader is scheduled; applied at its first fetch */
    RedisStreamSplitReader(RedisSourceOptions options, SourceReaderMetricGroup metrics, QueryPathPriority priority) {
        this.options = options;
        this.priority = priority;
        this.redelivered = metrics.counter("haim_source_redelivered_total");
        this.skippedAlreadyInState = metrics.counter("haim_source_skipped_in_state_total");
        this.reconnects = metrics.counter("haim_source_reconnects_total");
        this.claimed = metrics.counter("haim_source_claimed_total");
        this.realtimeSleeps = metrics.counter("haim_realtime_sleeps_total");
        metrics.gauge("haim_source_group_lag", () -> groupLag);
        metrics.gauge("haim_source_group_pending", () -> groupPending);
    }

    private JedisPooled redis() {
        if (redis == null) {
            redis = options.connection.createClient();
        }
        return redis;
    }

    @Override
    public RecordsWithSplitIds<RedisStreamEntry> fetch() {
        if (!prioritized) {
            prioritized = true;
            priority.apply();
        }
        RecordsBySplits.Builder<RedisStreamEntry> out = new RecordsBySplits.Builder<>();
        if (splits.isEmpty()) {
            sleepQuietly(Math.min(100, options.blockMs));
            return out.build();
        }
        List<Progress> all = new ArrayList<>(splits.values());
        // A claimer with nothing due passes its turn on: sleeping in it would hold up the reading
        // splits of this reader (at parallelism 1 every reply waited up to 100 ms that way).
        long now = System.currentTimeMillis();
        Progress p = null;
        for (int i = 0; i < all.size() && p == null; i++) {
            Progress c = all.get(Math.floorMod(cursor++, all.size()));
            if (!idleClaimer(c, now)) {
                p = c;
            }
        }
        if (p == null) {
            sleepQuietly(Math.min(100, options.blockMs));
            return out.build();
        }
        try {
            fetchSplit(p, fetchUnits(all), out);
            maybeUpdateMetrics();
            backoff.reset();
            // A real-time fetcher that has used its share of the core lets the rest of the machine run.
            QueryPathPriority.pace(realtimeSleeps);
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                // The group or stream vanished (e.g. Redis restarted without persistence): recreate it.
                // Redis's message names the stream; p's may be another one read in the same command.
                LOG.warn("consumer group {} missing ({}); recreating it", options.group, e.getMessage());
                p.groupReady = false;
            } else {
                LOG.warn("Redis rejected a read on {}: {}", p.split.streamKey(), e.toString());
                sleepQuietly(backoff.nextDelayMs());
            }
        } catch (JedisConnectionException e) {
            reconnects.inc();
            long delay = backoff.nextDelayMs();
            LOG.warn("Redis unreachable at {} ({}); retrying in {} ms", options.connection, e.getMessage(), delay);
            sleepQuietly(delay);
        } catch (JedisException e) {
            LOG.warn("Redis error on {}: {}", p.split.streamKey(), e.toString());
            sleepQuietly(backoff.nextDelayMs());
        }
        return out.build();
    }

    private void fetchSplit(Progress p, int fetchUnits, RecordsBySplits.Builder<RedisStreamEntry> out) {
        RedisStreamSplit s = p.split;
        if (!p.groupReady) {
            RedisStreams.ensureGroup(redis(), s.streamKey(), options.group);
            p.groupReady = true;
        }
        if (p.recovering) {
            List<RedisStreams.Entry> entries = RedisStreams.readGroup(redis(), options.group, s.consumer(),
                    s.streamKey(), p.pendingCursor, options.batchSize, 0);
            if (entries.isEmpty()) {
                p.recovering = false;
                LOG.info("split {} recovered its pending entries; reading new ones", s.splitId());
                return;
            }
            List<String> alreadyInState = new ArrayList<>();
            for (RedisStreams.Entry e : entries) {
                p.pendingCursor = e.id;
                boolean inState = s.claimer()
                        ? s.claimed().contains(e.id)
                        : StreamIds.compare(e.id, s.lastDeliveredId()) <= 0;
                if (inState) {
                    alreadyInState.add(e.id);
                } else if (!emit(p, e, true, out)) {
                    break;
                }
            }
            if (!alreadyInState.isEmpty()) {
                skippedAlreadyInState.inc(alreadyInState.size());
                try {
                    RedisStreams.ack(redis(), s.streamKey(), options.group, alreadyInState);
                } catch (JedisDataException e) {
                    // Only clean-up: entries left pending are skipped again after the next restart.
                    LOG.warn("could not XACK {} entries already in state on {}: {}", alreadyInState.size(),
                            s.streamKey(), e.getMessage());
                }
            }
            return;
        }
        if (s.claimer()) {
            claimRound(p, out);
            return;
        }
        // One XREADGROUP for every reading split of this consumer name (per-tenant streams share
        // it): it returns as soon as any of their streams has entries.
        List<Progress> peers = readingPeers(p);
        List<String> streams = new ArrayList<>(peers.size());
        for (Progress q : peers) {
            streams.add(q.split.streamKey());
        }
        long block = Math.max(1, options.blockMs / fetchUnits);
        Map<String, List<RedisStreams.Entry>> byStream;
        try {
            byStream = RedisStreams.readGroupNew(redis(), options.group, s.consumer(), streams, options.batchSize, block);
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                peers.forEach(q -> q.groupReady = false); // the error need not name the stream that lost it
            }
            throw e;
        }
        for (Progress q : peers) {
            List<RedisStreams.Entry> entries = byStream.getOrDefault(q.split.streamKey(), List.of());
            for (RedisStreams.Entry e : entries) {
                if (!emit(q, e, false, out)) {
                    break;
                }
            }
            if (entries.isEmpty() && options.stopAtId != null && reachedStopId(q.split)) {
                finish(q, out);
            }
        }
    }

    /** {@code p} and the other splits that read new entries under the same consumer name. */
    private List<Progress> readingPeers(Progress p) {
        List<Progress> peers = new ArrayList<>();
        peers.add(p);
        for (Progress q : splits.values()) {
            if (q != p && reading(q) && q.split.consumer().equals(p.split.consumer())) {
                peers.add(q);
            }
        }
        return peers;
    }

    private static boolean reading(Progress p) {
        return p.groupReady && !p.recovering && !p.split.claimer();
    }

    /**
     * The turns a round of fetches takes: one per consumer name for reading splits (they are read
     * together), one per other split. A blocking read waits block_ms divided by this, so a round
     * still takes about block_ms when nothing arrives.
     */
    private static int fetchUnits(List<Progress> all) {
        int units = 0;
        Set<String> readingConsumers = new HashSet<>();
        for (Progress p : all) {
            if (!reading(p) || readingConsumers.add(p.split.consumer())) {
                units++;
            }
        }
        return Math.max(1, units);
    }

    /** A claimer split past its own recovery whose next claim round is not due yet. */
    private static boolean idleClaimer(Progress p, long now) {
        return p.split.claimer() && p.groupReady && !p.recovering && now < p.nextClaimAt;
    }

    /**
     * Takes over entries that consumers outside this job left pending for longer than the claim
     * idle time. Only foreign consumers are considered: this job's own consumers recover their
     * pending entries themselves, and claiming those could apply an entry twice.
     */
    private void claimRound(Progress p, RecordsBySplits.Builder<RedisStreamEntry> out) {
        long now = System.currentTimeMillis();
        p.nextClaimAt = now + options.claimIntervalMs;
        RedisStreamSplit s = p.split;
        for (Map.Entry<String, Long> c : RedisStreams.pendingConsumers(redis(), s.streamKey(), options.group).entrySet()) {
            if (options.ownConsumer(c.getKey())) {
                continue;
            }
            List<String> ids = RedisStreams.idlePendingIds(redis(), s.streamKey(), options.group, c.getKey(),
                    options.claimIdleMs, options.batchSize);
            if (ids.isEmpty()) {
                continue;
            }
            List<RedisStreams.Entry> entries = RedisStreams.claim(redis(), s.streamKey(), options.group, s.consumer(),
                    options.claimIdleMs, ids);
            LOG.info("claimed {} entries left pending by consumer {} on {}", entries.size(), c.getKey(), s.streamKey());
            claimed.inc(entries.size());
            for (RedisStreams.Entry e : entries) {
                emit(p, e, true, out);
            }
            p.nextClaimAt = now; // more may be waiting
            return;
        }
    }

    /** Adds the entry; returns false once the split has reached its bound. */
    private boolean emit(Progress p, RedisStreams.Entry e, boolean again, RecordsBySplits.Builder<RedisStreamEntry> out) {
        RedisStreamSplit s = p.split;
        out.add(s.splitId(), new RedisStreamEntry(s.streamKey(), e.id, s.tenant(), e.field(RedisStreams.DATA), again));
        if (again) {
            redelivered.inc();
        }
        p.emitted++;
        boolean done = (options.stopAfterEntries >= 0 && p.emitted >= options.stopAfterEntries)
                || (options.stopAtId != null && StreamIds.compare(e.id, options.stopAtId) >= 0);
        if (done) {
            finish(p, out);
            return false;
        }
        return true;
    }

    private void finish(Progress p, RecordsBySplits.Builder<RedisStreamEntry> out) {
        LOG.info("split {} reached its bound after {} entries", p.split.splitId(), p.emitted);
        out.addFinishedSplit(p.split.splitId());
        splits.remove(p.split.splitId());
    }

    private boolean reachedStopId(RedisStreamSplit s) {
        String last = RedisStreams.groupInfo(redis(), s.streamKey(), options.group).lastDeliveredId;
        return last != null && StreamIds.compare(last, options.stopAtId) >= 0;
    }

    private void maybeUpdateMetrics() {
        long now = System.currentTimeMillis();
        if (now - lastMetricsAt < METRICS_INTERVAL_MS) {
            return;
        }
        lastMetricsAt = now;
        long lag = 0, pending = 0;
        for (String stream : streamsOfSplits()) {
            RedisStreams.GroupInfo info = RedisStreams.groupInfo(redis(), stream, options.group);
            lag += Math.max(0, info.lag);
            pending += Math.max(0, info.pending);
        }
        groupLag = lag;
        groupPending = pending;
    }

    private List<String> streamsOfSplits() {
        List<String> out = new ArrayList<>();
        for (Progress p : splits.values()) {
            if (!out.contains(p.split.streamKey())) {
                out.add(p.split.streamKey());
            }
        }
        return out;
    }

    @Override
    public void handleSplitsChanges(SplitsChange<RedisStreamSplit> change) {
        if (!(change instanceof SplitsAddition)) {
            throw new UnsupportedOperationException("unsupported split change " + change);
        }
        for (RedisStreamSplit s : change.splits()) {
            LOG.info("assigned {}", s);
            splits.put(s.splitId(), new Progress(s));
        }
    }

    @Override
    public void wakeUp() {
        // Reads block for at most blockMs, so the fetcher comes back on its own shortly.
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (redis != null) {
            redis.close();
        }
    }
}
