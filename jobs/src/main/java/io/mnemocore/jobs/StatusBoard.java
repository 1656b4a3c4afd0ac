package io.mnemocore.jobs;

import io.mnemocore.operators.redis.RedisStreams;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.JedisPooled;

/**
 * Follows the job from the outside, through Redis only: the transition log gives per-tier counts
 * and transition totals, the consumer group gives events in, and the DLQ stream its length.
 */
public final class StatusBoard {
    private final JedisPooled redis;
    private final JobSettings s;
    private final Map<String, Long> kinds = new TreeMap<>();
    private final java.util.HashMap<String, String> tierOf = new java.util.HashMap<>();
    private String lastId = "0-0";
    private long hot, warm, cold;

    public StatusBoard(JedisPooled redis, JobSettings s) {
        this.redis = redis;
        this.s = s;
    }

    /** Reads transitions appended since the last call. */
    public void poll() {
        String stream = s.config.getString("haim.redis.transitions_stream");
        List<RedisStreams.Entry> batch;
        do {
            batch = RedisStreams.rangeAfter(redis, stream, lastId, 5000);
            for (RedisStreams.Entry e : batch) {
                lastId = e.id;
                Map<String, String> f = e.strings();
                apply(f.get("kind"), f.get("tenant") + "/" + f.get("memory_id"), f.get("to"));
            }
        } while (batch.size() == 5000);
    }

    private void apply(String kind, String key, String to) {
        kinds.merge(kind, 1L, Long::sum);
        String before = tierOf.get(key);
        String after = "deleted".equals(kind) ? null : (to != null ? to : before);
        if (before != null) {
            adjust(before, -1);
        }
        if (after != null) {
            adjust(after, +1);
            tierOf.put(key, after);
        } else {
            tierOf.remove(key);
        }
    }

    private void adjust(String tier, int d) {
        switch (tier) {
            case "hot": hot += d; break;
            case "warm": warm += d; break;
            case "cold": cold += d; break;
            default: break;
        }
    }

    public long eventsIn() {
        try {
            return RedisStreams.groupInfo(redis, s.streamKey(), s.config.getString("haim.redis.consumer_group")).entriesRead;
        } catch (RuntimeException e) {
            return -1; // the stream or group does not exist yet
        }
    }

    public long dlq() {
        return redis.xlen(s.config.getString("haim.redis.dlq_stream"));
    }

    public long count(String kind) {
        return kinds.getOrDefault(kind, 0L);
    }

    public long hot() {
        return hot;
    }

    public long warm() {
        return warm;
    }

    public long cold() {
        return cold;
    }

    public String line(long elapsedS) {
        long total = kinds.values().stream().mapToLong(Long::longValue).sum();
        return String.format(Locale.ROOT,
                "[%4ds] events in %6d | HOT %4d  WARM %4d  COLD %4d | transitions %6d (hot→warm %d, warm→hot %d, warm→cold %d, reactivations %d, rehydrated %d, deleted %d) | DLQ %d",
                elapsedS, eventsIn(), hot, warm, cold, total, count("hot_to_warm"), count("warm_to_hot"),
                count("warm_to_cold"), count("cold_reactivation"), count("cold_to_warm") + count("cold_to_hot"), count("deleted"), dlq());
    }
}
