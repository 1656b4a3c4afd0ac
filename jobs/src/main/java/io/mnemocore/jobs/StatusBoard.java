package io.mnemocore.jobs;

import io.mnemocore.operators.redis.RedisStreams;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;

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
        while (true) {
            Object reply = redis.sendCommand(Protocol.Command.XREAD, b("COUNT"), b("5000"), b("STREAMS"), b(stream), b(lastId));
            if (reply == null) {
                return;
            }
            int n = 0;
            for (Object st : (List<?>) reply) {
                for (Object e : (List<?>) ((List<?>) st).get(1)) {
                    List<?> entry = (List<?>) e;
                    lastId = str(entry.get(0));
                    List<?> f = (List<?>) entry.get(1);
                    String kind = null, key = null, memory = null, to = null;
                    for (int i = 0; i + 1 < f.size(); i += 2) {
                        String k = str(f.get(i));
                        String v = str(f.get(i + 1));
                        if (k.equals("kind")) kind = v;
                        else if (k.equals("tenant")) key = v;
                        else if (k.equals("memory_id")) memory = v;
                        else if (k.equals("to")) to = v;
                    }
                    apply(kind, key + "/" + memory, to);
                    n++;
                }
            }
            if (n < 5000) {
                return;
            }
        }
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
                "[%4ds] events in %6d | HOT %4d  WARM %4d  COLD %4d | transitions %6d (hot→warm %d, warm→hot %d, warm→cold %d, reactivations %d, deleted %d) | DLQ %d",
                elapsedS, eventsIn(), hot, warm, cold, total, count("hot_to_warm"), count("warm_to_hot"),
                count("warm_to_cold"), count("cold_reactivation"), count("deleted"), dlq());
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(Object o) {
        return o == null ? null : new String((byte[]) o, StandardCharsets.UTF_8);
    }

}
