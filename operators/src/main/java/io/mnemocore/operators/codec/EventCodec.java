package io.mnemocore.operators.codec;

import static io.mnemocore.operators.codec.DecodeError.Reason.*;

import io.mnemocore.hdv.Hdv;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * msgpack ⇄ {@link MemoryEvent}, for the map in field {@code data} of a stream entry.
 *
 * <p>Accepts what Python's {@code msgpack.packb} makes of the blueprint's dicts: str keys, bytes
 * as bin (or as raw str, from old {@code use_bin_type=False} producers), ints, floats. HDVs may
 * be packed ({@code numpy.packbits}, D/8 bytes) or unpacked (D bytes of 0/1).
 *
 * <p>{@link #decode} never throws: every bad input yields a typed {@link DecodeError}. It
 * allocates nothing larger than the input, whatever lengths the input declares.
 */
public final class EventCodec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Tenants appear in stream keys and file paths, so they are kept to a safe alphabet. */
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    public static final List<String> TRIGGER_TIERS = List.of("hot_to_warm", "warm_to_cold", "rehydrate", "prewarm");
    public static final List<String> RESTORE_ORIGINS = List.of("access", "batch");
    public static final String DEFAULT_REPLY_STREAM = "haim:replies";
    public static final int DEFAULT_K = 10;

    private final CodecLimits limits;

    public EventCodec(CodecLimits limits) {
        this.limits = limits;
    }

    /** Control flow for rejections inside the decoder; never escapes {@link #decode}. */
    private static final class Reject extends Exception {
        final DecodeError.Reason reason;

        Reject(DecodeError.Reason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    /**
     * A msgpack str, kept until we know whether a string or raw bytes are wanted: where its bytes
     * lie in the input, not a copy of them.
     */
    private static final class RawStr {
        final byte[] data;
        final int off;
        final int len;

        RawStr(byte[] data, int off, int len) {
            this.data = data;
            this.off = off;
            this.len = len;
        }

        byte[] copy() {
            return java.util.Arrays.copyOfRange(data, off, off + len);
        }
    }

    /**
     * The field names the decoder reads: a key equal to one of them becomes that String instead of
     * a new one (an access event has six keys, and the job reads ten such events a query).
     */
    private static final String[] KNOWN_KEYS = {"type", "tenant", "memory_id", "context_id", "text", "hdv",
            "ltp_strength", "timestamp", "access_count", "last_access", "tier", "memory_ids", "context_hdv",
            "prediction_window", "query_id", "reply_to", "k", "updated_ms", "half_life_ms", "archive", "origin", "payload"};

    /** A value of a type we do not read for that key (map, nested array, extension). */
    private static final class Other {
        final ValueType type;

        Other(ValueType type) {
            this.type = type;
        }
    }

    /**
     * @param data the bytes of the entry's {@code data} field (null if the entry lacks it)
     * @param sourceId the stream entry id, used to derive a missing memory_id; may be null
     * @param streamTenant the tenant named by a per-tenant stream key, or null for the shared stream
     */
    public DecodeResult decode(byte[] data, String sourceId, String streamTenant) {
        if (data == null) {
            return DecodeResult.error(MISSING_FIELD, "stream entry has no 'data' field");
        }
        if (data.length > limits.maxEventBytes) {
            return DecodeResult.error(OVERSIZED,
                    "event is " + data.length + " bytes; the limit is " + limits.maxEventBytes);
        }
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(data)) {
            MemoryEvent e = decodeMap(u, data);
            if (u.hasNext()) {
                throw new Reject(TRAILING_BYTES, (data.length - u.getTotalReadBytes())
                        + " bytes follow the event map");
            }
            finish(e, sourceId, streamTenant);
            return DecodeResult.ok(e);
        } catch (Reject r) {
            return DecodeResult.error(r.reason, r.getMessage());
        } catch (IOException | RuntimeException ex) {
            // msgpack-core signals truncation, bad headers and integer overflow with exceptions.
            return DecodeResult.error(MALFORMED, "not valid msgpack: " + ex.getClass().getSimpleName()
                    + (ex.getMessage() == null ? "" : " (" + truncate(ex.getMessage(), 120) + ")"));
        }
    }

    private MemoryEvent decodeMap(MessageUnpacker u, byte[] data) throws IOException, Reject {
        if (!u.hasNext()) {
            throw new Reject(MALFORMED, "empty data");
        }
        MessageFormat f = u.getNextFormat();
        if (f.getValueType() != ValueType.MAP) {
            throw new Reject(NOT_A_MAP, "event must be a msgpack map, got " + f.getValueType().name().toLowerCase());
        }
        int n = u.unpackMapHeader();
        // Every entry takes at least 2 bytes, so a larger count is a lie about the input.
        if (n < 0 || (long) n * 2 > data.length) {
            throw new Reject(MALFORMED, "map header declares " + n + " entries in " + data.length + " bytes");
        }
        Map<String, Object> fields = new HashMap<>();
        byte[] payload = null;
        for (int i = 0; i < n; i++) {
            if (u.getNextFormat().getValueType() != ValueType.STRING) {
                throw new Reject(WRONG_TYPE, "map keys must be strings, got "
                        + u.getNextFormat().getValueType().name().toLowerCase());
            }
            String key = key(readStr(u, data));
            if (fields.containsKey(key) || ("payload".equals(key) && payload != null)) {
                throw new Reject(DUPLICATE_FIELD, "field '" + truncate(key, 40) + "' appears twice");
            }
            if ("payload".equals(key)) {
                int start = (int) u.getTotalReadBytes();
                u.skipValue();
                int end = (int) u.getTotalReadBytes();
                if (end - start > limits.maxPayloadBytes) {
                    throw new Reject(PAYLOAD_TOO_LARGE, "payload is " + (end - start)
                            + " bytes; the limit is " + limits.maxPayloadBytes);
                }
                payload = java.util.Arrays.copyOfRange(data, start, end);
                continue;
            }
            fields.put(key, readValue(u, data, "memory_ids".equals(key)));
        }
        MemoryEvent e = new MemoryEvent();
        String typeName = string(fields, "type", true, 64);
        e.type = EventType.fromWire(typeName);
        if (e.type == null) {
            throw new Reject(UNKNOWN_TYPE, "unknown event type '" + truncate(typeName, 64) + "'");
        }
        e.payload = payload;
        e.tenant = fields.containsKey("tenant") ? tenant(string(fields, "tenant", true, 64)) : null;
        e.timestamp = timestamp(fields, "timestamp");
        switch (e.type) {
            case MEMORY_WRITE:
                e.memoryId = id(fields, "memory_id", false);
                e.contextId = id(fields, "context_id", false);
                hdvOrText(fields, e);
                e.ltpStrength = strength(fields, "ltp_strength");
                break;
            case MEMORY_ACCESS:
                e.memoryId = id(fields, "memory_id", true);
                e.contextId = id(fields, "context_id", false);
                e.accessCount = (int) integer(fields, "access_count", 1, 1, Integer.MAX_VALUE);
                e.lastAccess = timestamp(fields, "last_access");
                break;
            case MEMORY_DELETE:
                e.memoryId = id(fields, "memory_id", true);
                break;
            case CONSOLIDATION_TRIGGER:
                e.tier = string(fields, "tier", true, 32);
                if (!TRIGGER_TIERS.contains(e.tier)) {
                    throw new Reject(BAD_VALUE, "tier must be one of " + TRIGGER_TIERS + ", got '"
                            + truncate(e.tier, 32) + "'");
                }
                e.memoryIds = idList(fields, "memory_ids");
                break;
            case INFERENCE_PREDICT:
                e.hdv = hdv(fields, "context_hdv", true);
                e.predictionWindowS = (int) integer(fields, "prediction_window", -1, 0, 365L * 86400);
                if (e.predictionWindowS < 0) {
                    throw new Reject(MISSING_FIELD, "inference.predict needs 'prediction_window'");
                }
                e.contextId = id(fields, "context_id", false);
                e.queryId = id(fields, "query_id", false);
                e.replyTo = replyTo(fields);
                e.k = (int) integer(fields, "k", DEFAULT_K, 1, limits.maxK);
                break;
            case QUERY:
                e.queryId = id(fields, "query_id", true);
                e.contextId = id(fields, "context_id", false);
                hdvOrText(fields, e);
                e.k = (int) integer(fields, "k", DEFAULT_K, 1, limits.maxK);
                e.replyTo = replyTo(fields);
                break;
            case MEMORY_RESTORE:
                e.memoryId = id(fields, "memory_id", true);
                e.contextId = id(fields, "context_id", false);
                e.hdv = hdv(fields, "hdv", true);
                e.ltpStrength = strength(fields, "ltp_strength");
                if (Double.isNaN(e.ltpStrength)) {
                    throw new Reject(MISSING_FIELD, "memory.restore needs 'ltp_strength'");
                }
                e.updatedMs = timestamp(fields, "updated_ms");
                e.halfLifeMs = integer(fields, "half_life_ms", -1, 1, Long.MAX_VALUE);
                if (e.halfLifeMs < 0) {
                    throw new Reject(MISSING_FIELD, "memory.restore needs 'half_life_ms'");
                }
                e.accessCount = (int) integer(fields, "access_count", 0, 0, Integer.MAX_VALUE);
                e.lastAccess = timestamp(fields, "last_access");
                e.archive = string(fields, "archive", true, 256);
                e.origin = string(fields, "origin", true, 16);
                if (!RESTORE_ORIGINS.contains(e.origin)) {
                    throw new Reject(BAD_VALUE, "origin must be one of " + RESTORE_ORIGINS + ", got '" + truncate(e.origin, 16) + "'");
                }
                break;
            default:
                throw new Reject(UNKNOWN_TYPE, "unhandled type " + e.type);
        }
        return e;
    }

    /** Writes and queries carry exactly one of a vector and a text. */
    private void hdvOrText(Map<String, Object> fields, MemoryEvent e) throws Reject {
        e.hdv = hdv(fields, "hdv", false);
        e.text = text(fields, "text");
        if (e.hdv == null && e.text == null) {
            throw new Reject(MISSING_FIELD, e.type.wire() + " needs 'hdv' or 'text'");
        }
        if (e.hdv != null && e.text != null) {
            throw new Reject(CONFLICTING_FIELDS, e.type.wire() + " has both 'hdv' and 'text'; send one");
        }
    }

    /** Tenant and memory_id rules that need the stream context. */
    private static void finish(MemoryEvent e, String sourceId, String streamTenant) throws Reject {
        e.sourceId = sourceId;
        if (streamTenant != null) {
            if (e.tenant != null && !e.tenant.equals(streamTenant)) {
                throw new Reject(TENANT_MISMATCH, "event claims tenant '" + e.tenant
                        + "' but arrived on the stream of tenant '" + streamTenant + "'");
            }
            e.tenant = streamTenant;
        } else if (e.tenant == null) {
            e.tenant = MemoryEvent.DEFAULT_TENANT;
        }
        if (e.type == EventType.QUERY || e.type == EventType.INFERENCE_PREDICT) {
            // A tenant's query replies into that tenant's streams only (names ending in :<tenant>,
            // which ACLs can confine), never into the shared default or another tenant's stream.
            if (e.replyTo == null) {
                e.replyTo = streamTenant == null ? DEFAULT_REPLY_STREAM : DEFAULT_REPLY_STREAM + ":" + streamTenant;
            } else if (streamTenant != null && !e.replyTo.endsWith(":" + streamTenant)) {
                throw new Reject(TENANT_MISMATCH, "'reply_to' " + e.replyTo + " is not a stream of tenant '" + streamTenant
                        + "': a query on that tenant's stream replies to a stream whose name ends in ':" + streamTenant + "'");
            }
        }
        if (e.type == EventType.MEMORY_WRITE && e.memoryId == null) {
            if (sourceId == null) {
                throw new Reject(MISSING_FIELD, "memory.write has no 'memory_id' and no stream entry id to derive one from");
            }
            // Derived from the entry id, so a redelivered entry maps to the same memory.
            e.memoryId = sourceId;
        }
    }

    // ---- value readers -------------------------------------------------------------------

    private Object readValue(MessageUnpacker u, byte[] data, boolean allowStringArray) throws IOException, Reject {
        MessageFormat f = u.getNextFormat();
        switch (f.getValueType()) {
            case NIL:
                u.unpackNil();
                return null;
            case BOOLEAN:
                return u.unpackBoolean();
            case INTEGER:
                if (f == MessageFormat.UINT64) {
                    java.math.BigInteger big = u.unpackBigInteger();
                    if (big.bitLength() > 63) {
                        throw new Reject(BAD_VALUE, "integer " + big + " does not fit in 64 bits");
                    }
                    return big.longValue();
                }
                return u.unpackLong();
            case FLOAT:
                return u.unpackDouble();
            case STRING:
                return readStr(u, data);
            case BINARY:
                return readBytes(u, data, u.unpackBinaryHeader());
            case ARRAY:
                if (allowStringArray) {
                    int n = u.unpackArrayHeader();
                    if (n < 0 || n > limits.maxMemoryIds) {
                        throw new Reject(BAD_VALUE, "memory_ids has " + n + " entries; the limit is " + limits.maxMemoryIds);
                    }
                    if ((long) n > data.length - u.getTotalReadBytes()) {
                        throw new Reject(MALFORMED, "array header declares more entries than bytes remain");
                    }
                    List<Object> items = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        items.add(readValue(u, data, false));
                    }
                    return items;
                }
                u.skipValue();
                return new Other(ValueType.ARRAY);
            default:
                u.skipValue();
                return new Other(f.getValueType());
        }
    }

    /**
     * The string at the unpacker's position (its format says string), left where it is in the
     * input: its header is read from the input directly, and the unpacker skips the string.
     */
    private static RawStr readStr(MessageUnpacker u, byte[] data) throws IOException, Reject {
        int at = (int) u.getTotalReadBytes();
        int b = data[at] & 0xFF;
        int header;
        long len;
        if ((b & 0xE0) == 0xA0) {
            header = 1;
            len = b & 0x1F;
        } else if (b == 0xD9 && at + 2 <= data.length) {
            header = 2;
            len = data[at + 1] & 0xFF;
        } else if (b == 0xDA && at + 3 <= data.length) {
            header = 3;
            len = (data[at + 1] & 0xFF) << 8 | (data[at + 2] & 0xFF);
        } else if (b == 0xDB && at + 5 <= data.length) {
            header = 5;
            len = (long) (data[at + 1] & 0xFF) << 24 | (data[at + 2] & 0xFF) << 16 | (data[at + 3] & 0xFF) << 8 | (data[at + 4] & 0xFF);
        } else { // a truncated header: the unpacker says how
            byte[] bytes = readBytes(u, data, u.unpackRawStringHeader());
            return new RawStr(bytes, 0, bytes.length);
        }
        long remaining = data.length - at - header;
        if (len > remaining) {
            throw new Reject(MALFORMED, "a field declares " + len + " bytes but only " + remaining + " remain");
        }
        u.skipValue();
        return new RawStr(data, at + header, (int) len);
    }

    private static String key(RawStr k) throws Reject {
        for (String known : KNOWN_KEYS) {
            if (known.length() == k.len && sameAscii(known, k)) {
                return known;
            }
        }
        return utf8(k, "a key");
    }

    private static boolean sameAscii(String s, RawStr r) {
        for (int i = 0; i < r.len; i++) {
            if (r.data[r.off + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static byte[] readBytes(MessageUnpacker u, byte[] data, int len) throws IOException, Reject {
        long remaining = data.length - u.getTotalReadBytes();
        if (len < 0 || len > remaining) {
            throw new Reject(MALFORMED, "a field declares " + (len & 0xFFFFFFFFL) + " bytes but only "
                    + remaining + " remain");
        }
        return u.readPayload(len);
    }

    private static String utf8(RawStr r, String what) throws Reject {
        // Keys and most ids are ASCII: skip the validating decoder (one allocation per string).
        boolean ascii = true;
        for (int i = r.off; i < r.off + r.len; i++) {
            if (r.data[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(r.data, r.off, r.len, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(r.data, r.off, r.len)).toString();
        } catch (CharacterCodingException ex) {
            throw new Reject(WRONG_TYPE, what + " is not valid UTF-8");
        }
    }

    private static String typeName(Object v) {
        if (v instanceof RawStr) return "string";
        if (v instanceof byte[]) return "binary";
        if (v instanceof Long) return "integer";
        if (v instanceof Double) return "float";
        if (v instanceof Boolean) return "boolean";
        if (v instanceof List) return "array";
        if (v instanceof Other) return ((Other) v).type.name().toLowerCase();
        return "nil";
    }

    private static String string(Map<String, Object> f, String key, boolean required, int maxLen) throws Reject {
        return string(f.get(key), key, required, maxLen);
    }

    private static String string(Object v, String key, boolean required, int maxLen) throws Reject {
        if (v == null) {
            if (required) {
                throw new Reject(MISSING_FIELD, "missing field '" + key + "'");
            }
            return null;
        }
        if (!(v instanceof RawStr)) {
            throw new Reject(WRONG_TYPE, "'" + key + "' must be a string, got " + typeName(v));
        }
        RawStr b = (RawStr) v;
        if (b.len > maxLen * 4L) { // cheap bound before decoding
            throw new Reject(ID_TOO_LONG, "'" + key + "' is " + b.len + " bytes; the limit is " + maxLen + " characters");
        }
        String s = utf8(b, "'" + key + "'");
        if (s.length() > maxLen) {
            throw new Reject(ID_TOO_LONG, "'" + key + "' has " + s.length() + " characters; the limit is " + maxLen);
        }
        return s;
    }

    private String id(Map<String, Object> f, String key, boolean required) throws Reject {
        return id(f.get(key), key, required);
    }

    private String id(Object v, String key, boolean required) throws Reject {
        String s = string(v, key, required, limits.maxIdLength);
        if (s == null) {
            return null;
        }
        if (s.isEmpty()) {
            throw new Reject(BAD_ID, "'" + key + "' is empty");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                throw new Reject(BAD_ID, "'" + key + "' contains control character 0x" + Integer.toHexString(c));
            }
        }
        return s;
    }

    private static String tenant(String s) throws Reject {
        if (!tenantLike(s)) {
            throw new Reject(BAD_ID, "tenant '" + truncate(s, 64) + "' must match " + TENANT.pattern());
        }
        return s;
    }

    /** {@link #TENANT} without a Matcher: the job checks ten access events a query. */
    private static boolean tenantLike(String s) {
        if (s.isEmpty() || s.length() > 64) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == ':' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private String replyTo(Map<String, Object> f) throws Reject {
        String r = id(f, "reply_to", false);
        if (r == null) {
            return null; // the default depends on the stream (finish)
        }
        String reserved = limits.reservedStreamOf(r);
        if (reserved != null) {
            throw new Reject(RESERVED_REPLY_TO, "'reply_to' " + r + " is " + (reserved.equals(r) ? "" : "a tenant stream ")
                    + "the job reads or writes (" + (reserved.endsWith(":") ? reserved + "*" : reserved)
                    + "); name a reply stream of your own (e.g. haim:replies:<id>)");
        }
        return r;
    }

    private String text(Map<String, Object> f, String key) throws Reject {
        Object v = f.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof RawStr)) {
            throw new Reject(WRONG_TYPE, "'" + key + "' must be a string, got " + typeName(v));
        }
        RawStr b = (RawStr) v;
        if (b.len > limits.maxTextLength * 4L) {
            throw new Reject(TEXT_TOO_LONG, "'" + key + "' is " + b.len + " bytes; the limit is "
                    + limits.maxTextLength + " characters");
        }
        String s = utf8(b, "'" + key + "'");
        if (s.length() > limits.maxTextLength) {
            throw new Reject(TEXT_TOO_LONG, "'" + key + "' has " + s.length() + " characters; the limit is "
                    + limits.maxTextLength);
        }
        if (s.isBlank()) {
            throw new Reject(BAD_VALUE, "'" + key + "' is blank");
        }
        return s;
    }

    private long[] hdv(Map<String, Object> f, String key, boolean required) throws Reject {
        Object v = f.get(key);
        if (v == null) {
            if (required) {
                throw new Reject(MISSING_FIELD, "missing field '" + key + "'");
            }
            return null;
        }
        byte[] b;
        if (v instanceof byte[]) {
            b = (byte[]) v;
        } else if (v instanceof RawStr) { // bytes packed as str by use_bin_type=False producers
            b = ((RawStr) v).copy();
        } else {
            throw new Reject(WRONG_TYPE, "'" + key + "' must be bytes, got " + typeName(v));
        }
        int dim = limits.dim;
        if (b.length == dim / 8) {
            return Hdv.fromPacked(b, dim).words();
        }
        if (b.length == dim) {
            for (int i = 0; i < b.length; i++) {
                if (b[i] != 0 && b[i] != 1) {
                    throw new Reject(BAD_HDV_VALUE, "'" + key + "' is unpacked (" + dim + " bytes) but byte "
                            + i + " is " + (b[i] & 0xFF) + "; expected 0 or 1");
                }
            }
            return Hdv.fromUnpacked(b, dim).words();
        }
        throw new Reject(BAD_HDV_LENGTH, "'" + key + "' has " + b.length + " bytes; expected " + dim / 8
                + " (packed) or " + dim + " (unpacked) for D=" + dim);
    }

    private static double strength(Map<String, Object> f, String key) throws Reject {
        Object v = f.get(key);
        if (v == null) {
            return Double.NaN;
        }
        double d;
        if (v instanceof Double) {
            d = (Double) v;
        } else if (v instanceof Long) {
            d = (Long) v;
        } else {
            throw new Reject(WRONG_TYPE, "'" + key + "' must be a number, got " + typeName(v));
        }
        if (Double.isNaN(d) || d < 0.0 || d > 1.0) {
            throw new Reject(BAD_STRENGTH, "'" + key + "' must be in [0, 1], got " + d);
        }
        return d;
    }

    private static long integer(Map<String, Object> f, String key, long def, long min, long max) throws Reject {
        Object v = f.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Long)) {
            throw new Reject(WRONG_TYPE, "'" + key + "' must be an integer, got " + typeName(v));
        }
        long x = (Long) v;
        if (x < min || x > max) {
            throw new Reject(BAD_VALUE, "'" + key + "' must be in [" + min + ", " + max + "], got " + x);
        }
        return x;
    }

    /** Epoch milliseconds; floats are accepted (Python's {@code time.time() * 1000}) and truncated. */
    private static long timestamp(Map<String, Object> f, String key) throws Reject {
        Object v = f.get(key);
        if (v == null) {
            return 0;
        }
        long t;
        if (v instanceof Long) {
            t = (Long) v;
        } else if (v instanceof Double && Double.isFinite((Double) v)) {
            t = (long) (double) (Double) v;
        } else {
            throw new Reject(WRONG_TYPE, "'" + key + "' must be epoch milliseconds, got " + typeName(v));
        }
        // Up to year 9999; rejects seconds-vs-ms mix-ups only when negative.
        if (t < 0 || t > 253_402_300_799_999L) {
            throw new Reject(BAD_VALUE, "'" + key + "' is out of range: " + t);
        }
        return t;
    }

    private String[] idList(Map<String, Object> f, String key) throws Reject {
        Object v = f.get(key);
        if (v == null) {
            throw new Reject(MISSING_FIELD, "missing field '" + key + "'");
        }
        if (!(v instanceof List)) {
            throw new Reject(WRONG_TYPE, "'" + key + "' must be an array of strings, got " + typeName(v));
        }
        List<?> items = (List<?>) v;
        String[] out = new String[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = id(items.get(i), key + "[" + i + "]", true);
        }
        return out;
    }

    private static String truncate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n) + "…";
    }

    // ---- encoder -------------------------------------------------------------------------

    /**
     * Encodes an event the way producers should: HDVs packed, only the fields its type uses, the
     * payload last as the bytes it was written with. Written straight into this thread's
     * {@link MsgpackWriter}: the job encodes a {@code memory.access} per returned hit (ten a query)
     * on the reply's real-time thread. A required field left null is written as nil, so the
     * decoder names it.
     */
    public byte[] encode(MemoryEvent e) {
        Fields f = new Fields(MsgpackWriter.scratch());
        f.str(K_TYPE, e.type.wire());
        if (e.tenant != null) {
            f.str(K_TENANT, e.tenant);
        }
        switch (e.type) {
            case MEMORY_WRITE:
                f.strIf(K_MEMORY_ID, e.memoryId);
                f.strIf(K_CONTEXT_ID, e.contextId);
                f.strIf(K_TEXT, e.text);
                if (e.hdv != null) {
                    f.bin(K_HDV, packed(e.hdv));
                }
                if (!Double.isNaN(e.ltpStrength)) {
                    f.key(K_LTP_STRENGTH).float64(e.ltpStrength);
                }
                break;
            case MEMORY_ACCESS:
                f.str(K_MEMORY_ID, e.memoryId);
                f.strIf(K_CONTEXT_ID, e.contextId);
                f.key(K_ACCESS_COUNT).integer(Math.max(1, e.accessCount));
                if (e.lastAccess != 0) {
                    f.key(K_LAST_ACCESS).integer(e.lastAccess);
                }
                break;
            case MEMORY_DELETE:
                f.str(K_MEMORY_ID, e.memoryId);
                break;
            case CONSOLIDATION_TRIGGER:
                f.str(K_TIER, e.tier);
                String[] ids = e.memoryIds == null ? new String[0] : e.memoryIds;
                MsgpackWriter list = f.key(K_MEMORY_IDS).arrayHeader(ids.length);
                for (String id : ids) {
                    if (id == null) {
                        list.nil();
                    } else {
                        list.str(id);
                    }
                }
                break;
            case INFERENCE_PREDICT:
                f.bin(K_CONTEXT_HDV, packed(e.hdv));
                f.key(K_PREDICTION_WINDOW).integer(e.predictionWindowS);
                f.strIf(K_CONTEXT_ID, e.contextId);
                f.strIf(K_QUERY_ID, e.queryId);
                f.strIf(K_REPLY_TO, e.replyTo);
                if (e.k > 0) {
                    f.key(K_K).integer(e.k);
                }
                break;
            case QUERY:
                f.str(K_QUERY_ID, e.queryId);
                f.strIf(K_CONTEXT_ID, e.contextId);
                f.strIf(K_TEXT, e.text);
                if (e.hdv != null) {
                    f.bin(K_HDV, packed(e.hdv));
                }
                if (e.k > 0) {
                    f.key(K_K).integer(e.k);
                }
                f.strIf(K_REPLY_TO, e.replyTo);
                break;
            case MEMORY_RESTORE:
                f.str(K_MEMORY_ID, e.memoryId);
                f.strIf(K_CONTEXT_ID, e.contextId);
                f.bin(K_HDV, packed(e.hdv));
                f.key(K_LTP_STRENGTH).float64(e.ltpStrength);
                f.key(K_UPDATED_MS).integer(e.updatedMs);
                f.key(K_HALF_LIFE_MS).integer(Math.max(1, Math.round(e.halfLifeMs)));
                f.key(K_ACCESS_COUNT).integer(e.accessCount);
                if (e.lastAccess != 0) {
                    f.key(K_LAST_ACCESS).integer(e.lastAccess);
                }
                f.str(K_ARCHIVE, e.archive);
                f.str(K_ORIGIN, e.origin);
                break;
            default:
                throw new IllegalArgumentException("cannot encode " + e.type);
        }
        if (e.timestamp != 0) {
            f.key(K_TIMESTAMP).integer(e.timestamp);
        }
        if (e.payload != null) {
            f.key(K_PAYLOAD).raw(e.payload); // already msgpack, kept byte for byte
        }
        return f.done();
    }

    /**
     * An event's map as it is written: entries counted as they go, the header (one byte: no
     * event has 16 fields) filled in at the end.
     */
    private static final class Fields {
        private final MsgpackWriter w;
        private int n;

        Fields(MsgpackWriter w) {
            this.w = w.mapHeader(0);
        }

        MsgpackWriter key(byte[] key) {
            n++;
            return w.raw(key);
        }

        void str(byte[] key, String v) {
            if (v == null) {
                key(key).nil();
            } else {
                key(key).str(v);
            }
        }

        void strIf(byte[] key, String v) {
            if (v != null) {
                key(key).str(v);
            }
        }

        void bin(byte[] key, byte[] v) {
            key(key).binHeader(v.length).raw(v);
        }

        byte[] done() {
            if (n >= 16) {
                throw new IllegalStateException("an event of " + n + " fields needs a longer map header");
            }
            w.patchByte(0, 0x80 | n);
            return w.toByteArray();
        }
    }

    private static final byte[] K_TYPE = MsgpackWriter.encoded("type");
    private static final byte[] K_TENANT = MsgpackWriter.encoded("tenant");
    private static final byte[] K_MEMORY_ID = MsgpackWriter.encoded("memory_id");
    private static final byte[] K_CONTEXT_ID = MsgpackWriter.encoded("context_id");
    private static final byte[] K_TEXT = MsgpackWriter.encoded("text");
    private static final byte[] K_HDV = MsgpackWriter.encoded("hdv");
    private static final byte[] K_LTP_STRENGTH = MsgpackWriter.encoded("ltp_strength");
    private static final byte[] K_ACCESS_COUNT = MsgpackWriter.encoded("access_count");
    private static final byte[] K_LAST_ACCESS = MsgpackWriter.encoded("last_access");
    private static final byte[] K_TIER = MsgpackWriter.encoded("tier");
    private static final byte[] K_MEMORY_IDS = MsgpackWriter.encoded("memory_ids");
    private static final byte[] K_CONTEXT_HDV = MsgpackWriter.encoded("context_hdv");
    private static final byte[] K_PREDICTION_WINDOW = MsgpackWriter.encoded("prediction_window");
    private static final byte[] K_QUERY_ID = MsgpackWriter.encoded("query_id");
    private static final byte[] K_REPLY_TO = MsgpackWriter.encoded("reply_to");
    private static final byte[] K_K = MsgpackWriter.encoded("k");
    private static final byte[] K_UPDATED_MS = MsgpackWriter.encoded("updated_ms");
    private static final byte[] K_HALF_LIFE_MS = MsgpackWriter.encoded("half_life_ms");
    private static final byte[] K_ARCHIVE = MsgpackWriter.encoded("archive");
    private static final byte[] K_ORIGIN = MsgpackWriter.encoded("origin");
    private static final byte[] K_TIMESTAMP = MsgpackWriter.encoded("timestamp");
    private static final byte[] K_PAYLOAD = MsgpackWriter.encoded("payload");

    private byte[] packed(long[] words) {
        return Hdv.wrap(limits.dim, words).toPacked();
    }
}
