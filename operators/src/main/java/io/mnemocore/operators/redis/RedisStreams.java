package io.mnemocore.operators.redis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The stream commands the job needs, on Jedis' raw binary interface: msgpack payloads must stay
 * bytes, and Jedis' typed stream replies decode field values as strings.
 */
public final class RedisStreams {
    private RedisStreams() {}

    /** A stream entry as raw bytes: id plus field/value pairs. */
    public static final class Entry {
        public final String id;
        public final List<byte[]> fields;

        Entry(String id, List<byte[]> fields) {
            this.id = id;
            this.fields = fields;
        }

        /** The value of a field, or null; {@code name} is the field's UTF-8 bytes (e.g. {@link #DATA}). */
        public byte[] field(byte[] name) {
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if (java.util.Arrays.equals(fields.get(i), name)) {
                    return fields.get(i + 1);
                }
            }
            return null;
        }

        /** Field values as UTF-8 strings (for text-only streams such as the transition log). */
        public java.util.Map<String, String> strings() {
            java.util.Map<String, String> m = new java.util.HashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                m.put(s(fields.get(i)), s(fields.get(i + 1)));
            }
            return m;
        }
    }

    /** The field that carries an event's msgpack bytes. */
    public static final byte[] DATA = b("data");

    /** One {@code [id, [field, value, ...]]} reply element; a trimmed pending entry has no fields. */
    private static Entry parseEntry(Object reply) {
        List<?> entry = (List<?>) reply;
        List<byte[]> fields = new ArrayList<>();
        if (entry.get(1) != null) {
            for (Object f : (List<?>) entry.get(1)) {
                fields.add((byte[]) f);
            }
        }
        return new Entry(s(entry.get(0)), fields);
    }

    /** XRANGE key (afterId + COUNT n: up to n entries after {@code afterId} (exclusive). */
    public static List<Entry> rangeAfter(UnifiedJedis redis, String stream, String afterId, int count) {
        List<Entry> out = new ArrayList<>();
        for (Object e : (List<?>) redis.sendCommand(Protocol.Command.XRANGE, b(stream), b("(" + afterId), b("+"),
                b("COUNT"), b(Integer.toString(count)))) {
            out.add(parseEntry(e));
        }
        return out;
    }

    /**
     * Every entry after {@code afterId}, each as its fields (UTF-8) plus "_id", with the raw "data"
     * bytes as ISO-8859-1 (one char per byte). For tools and tests that read whole streams.
     */
    public static List<java.util.Map<String, String>> readAll(UnifiedJedis redis, String stream, String afterId) {
        List<java.util.Map<String, String>> out = new ArrayList<>();
        String last = afterId;
        List<Entry> batch;
        do {
            batch = rangeAfter(redis, stream, last, 10_000);
            for (Entry e : batch) {
                last = e.id;
                java.util.Map<String, String> m = e.strings();
                m.put("_id", e.id);
                byte[] data = e.field(DATA);
                if (data != null) {
                    m.put("data", new String(data, StandardCharsets.ISO_8859_1));
                }
                out.add(m);
            }
        } while (!batch.isEmpty());
        return out;
    }

    /** The id of the newest entry, or "0-0" for an empty or missing stream. */
    public static String lastId(UnifiedJedis redis, String stream) {
        List<?> last = (List<?>) redis.sendCommand(Protocol.Command.XREVRANGE, b(stream), b("+"), b("-"), b("COUNT"), b("1"));
        return last == null || last.isEmpty() ? "0-0" : s(((List<?>) last.get(0)).get(0));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(Object o) {
        return new String((byte[]) o, StandardCharsets.UTF_8);
    }

    /** XGROUP CREATE key group 0 MKSTREAM; an existing group is fine. */
    public static void ensureGroup(UnifiedJedis redis, String stream, String group) {
        try {
            redis.sendCommand(Protocol.Command.XGROUP, b("CREATE"), b(stream), b(group), b("0"), b("MKSTREAM"));
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /**
     * XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS key id. With id {@code >} it returns new
     * entries; with an explicit id it returns this consumer's pending entries after that id.
     */
    public static List<Entry> readGroup(UnifiedJedis redis, String group, String consumer, String stream,
                                        String id, int count, long blockMs) {
        return entriesOf(redis.sendBlockingCommand(Protocol.Command.XREADGROUP,
                readGroupArgs(group, consumer, count, blockMs, List.of(stream), id)));
    }

    /**
     * New entries ({@code >}) of several streams for one consumer, in one XREADGROUP that blocks
     * until any of them has one: a reader with many streams then waits on all at once instead of
     * on each in turn. COUNT applies per stream. Streams without entries are absent from the map.
     */
    public static java.util.Map<String, List<Entry>> readGroupNew(UnifiedJedis redis, String group, String consumer,
                                                                  List<String> streams, int count, long blockMs) {
        Object reply = redis.sendBlockingCommand(Protocol.Command.XREADGROUP,
                readGroupArgs(group, consumer, count, blockMs, streams, ">"));
        java.util.Map<String, List<Entry>> out = new java.util.HashMap<>();
        if (reply != null) {
            for (Object streamReply : (List<?>) reply) {
                List<Entry> entries = new ArrayList<>();
                for (Object e : (List<?>) ((List<?>) streamReply).get(1)) {
                    entries.add(parseEntry(e));
                }
                out.put(s(((List<?>) streamReply).get(0)), entries);
            }
        }
        return out;
    }

    private static byte[][] readGroupArgs(String group, String consumer, int count, long blockMs, List<String> streams, String id) {
        List<byte[]> args = new ArrayList<>();
        args.add(b("GROUP"));
        args.add(b(group));
        args.add(b(consumer));
        args.add(b("COUNT"));
        args.add(b(Integer.toString(count)));
        if (blockMs > 0) {
            args.add(b("BLOCK"));
            args.add(b(Long.toString(blockMs)));
        }
        args.add(b("STREAMS"));
        for (String stream : streams) {
            args.add(b(stream));
        }
        for (int i = 0; i < streams.size(); i++) {
            args.add(b(id));
        }
        return args.toArray(new byte[0][]);
    }

    /** XREAD COUNT n BLOCK ms STREAMS key afterId: entries after {@code afterId}, waiting up to ms for one. */
    public static List<Entry> readAfter(UnifiedJedis redis, String stream, String afterId, int count, long blockMs) {
        return entriesOf(redis.sendBlockingCommand(Protocol.Command.XREAD, b("COUNT"), b(Integer.toString(count)),
                b("BLOCK"), b(Long.toString(blockMs)), b("STREAMS"), b(stream), b(afterId)));
    }

    private static List<Entry> entriesOf(Object reply) {
        List<Entry> out = new ArrayList<>();
        if (reply == null) {
            return out;
        }
        for (Object streamReply : (List<?>) reply) {
            for (Object e : (List<?>) ((List<?>) streamReply).get(1)) {
                out.add(parseEntry(e));
            }
        }
        return out;
    }

    /**
     * Ids per XACK. Redis runs one command at a time, and XACK of 10,000 ids took 3 ms of it on
     * a 2-core machine, while replies and queries on the same server waited; 1,000 take 0.3 ms.
     * The commands go one after another, not pipelined, so other clients' commands run between them.
     */
    static final int ACK_CHUNK = 1_000;

    /** XACKs {@code ids} in commands of at most {@link #ACK_CHUNK} ids; returns how many Redis acknowledged. */
    public static long ack(UnifiedJedis redis, String stream, String group, List<String> ids) {
        long acked = 0;
        for (int from = 0; from < ids.size(); from += ACK_CHUNK) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + ACK_CHUNK));
            byte[][] args = new byte[chunk.size() + 2][];
            args[0] = b(stream);
            args[1] = b(group);
            for (int i = 0; i < chunk.size(); i++) {
                args[i + 2] = b(chunk.get(i));
            }
            acked += (Long) redis.sendCommand(Protocol.Command.XACK, args);
        }
        return acked;
    }

    /** What XINFO GROUPS says about one group; -1 / null where Redis does not report it. */
    public static final class GroupInfo {
        public final long lag;
        public final long pending;
        public final String lastDeliveredId;
        /**
         * Entries delivered to the group so far (Redis 7+). Redis reports null for a group that has
         * delivered nothing yet (last-delivered-id 0-0); that is 0 here, not unknown.
         */
        public final long entriesRead;

        GroupInfo(long lag, long pending, String lastDeliveredId, long entriesRead) {
            this.lag = lag;
            this.pending = pending;
            this.lastDeliveredId = lastDeliveredId;
            this.entriesRead = entriesRead;
        }
    }

    public static GroupInfo groupInfo(UnifiedJedis redis, String stream, String group) {
        Object reply = redis.sendCommand(Protocol.Command.XINFO, b("GROUPS"), b(stream));
        for (Object g : (List<?>) reply) {
            List<?> kv = (List<?>) g;
            String name = null, last = null;
            long lag = -1, pending = -1, read = -1;
            for (int i = 0; i + 1 < kv.size(); i += 2) {
                String k = s(kv.get(i));
                Object v = kv.get(i + 1);
                if (k.equals("name")) name = s(v);
                else if (k.equals("pending")) pending = (Long) v;
                else if (k.equals("lag") && v instanceof Long) lag = (Long) v;
                else if (k.equals("last-delivered-id")) last = s(v);
                else if (k.equals("entries-read") && v instanceof Long) read = (Long) v;
            }
            if (group.equals(name)) {
                if (read < 0 && StreamIds.ZERO.equals(last)) {
                    read = 0;
                }
                return new GroupInfo(lag, pending, last, read);
            }
        }
        return new GroupInfo(-1, -1, null, -1);
    }

    /** Consumers with pending entries and how many (XPENDING summary form). */
    public static java.util.Map<String, Long> pendingConsumers(UnifiedJedis redis, String stream, String group) {
        java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
        List<?> reply = (List<?>) redis.sendCommand(Protocol.Command.XPENDING, b(stream), b(group));
        if (reply.size() < 4 || reply.get(3) == null) {
            return out;
        }
        for (Object c : (List<?>) reply.get(3)) {
            List<?> pair = (List<?>) c;
            out.put(s(pair.get(0)), Long.parseLong(s(pair.get(1))));
        }
        return out;
    }

    /** Ids pending under one consumer for at least {@code idleMs}, oldest first. */
    public static List<String> idlePendingIds(UnifiedJedis redis, String stream, String group, String consumer,
                                              long idleMs, int count) {
        List<?> reply = (List<?>) redis.sendCommand(Protocol.Command.XPENDING, b(stream), b(group), b("IDLE"),
                b(Long.toString(idleMs)), b("-"), b("+"), b(Integer.toString(count)), b(consumer));
        List<String> ids = new ArrayList<>();
        for (Object e : reply) {
            ids.add(s(((List<?>) e).get(0)));
        }
        return ids;
    }

    /** XCLAIM: moves entries idle for {@code minIdleMs} to {@code consumer}; returns them (deleted ones are dropped by Redis). */
    public static List<Entry> claim(UnifiedJedis redis, String stream, String group, String consumer, long minIdleMs,
                                    List<String> ids) {
        List<byte[]> args = new ArrayList<>(List.of(b(stream), b(group), b(consumer), b(Long.toString(minIdleMs))));
        for (String id : ids) {
            args.add(b(id));
        }
        List<?> reply = (List<?>) redis.sendCommand(Protocol.Command.XCLAIM, args.toArray(new byte[0][]));
        List<Entry> out = new ArrayList<>();
        for (Object e : reply) {
            if (e != null) {
                out.add(parseEntry(e));
            }
        }
        return out;
    }

    /** Stream keys matching a glob, via SCAN ... TYPE stream. */
    public static List<String> scanStreams(UnifiedJedis redis, String pattern) {
        List<String> keys = new ArrayList<>();
        String cursor = "0";
        do {
            List<?> reply = (List<?>) redis.sendCommand(Protocol.Command.SCAN, b(cursor), b("MATCH"), b(pattern),
                    b("COUNT"), b("1000"), b("TYPE"), b("stream"));
            cursor = s(reply.get(0));
            for (Object k : (List<?>) reply.get(1)) {
                keys.add(s(k));
            }
        } while (!cursor.equals("0"));
        return keys;
    }
}
