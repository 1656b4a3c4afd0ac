package io.mnemocore.operators.codec;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Packs a map the way Python's {@code msgpack.packb} (msgpack ≥ 1.0, use_bin_type=True) packs a
 * dict: str keys, bytes as bin, int as the smallest int format, float as float64.
 */
public final class PyPack {
    private PyPack() {}

    public static Map<String, Object> dict(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    public static byte[] packb(Map<String, Object> m) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            pack(p, m);
            return p.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static void pack(MessageBufferPacker p, Object v) throws IOException {
        if (v == null) {
            p.packNil();
        } else if (v instanceof String) {
            p.packString((String) v);
        } else if (v instanceof byte[]) {
            p.packBinaryHeader(((byte[]) v).length);
            p.writePayload((byte[]) v);
        } else if (v instanceof Integer || v instanceof Long) {
            p.packLong(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            p.packDouble(((Number) v).doubleValue());
        } else if (v instanceof Boolean) {
            p.packBoolean((Boolean) v);
        } else if (v instanceof List) {
            List<Object> l = (List<Object>) v;
            p.packArrayHeader(l.size());
            for (Object o : l) {
                pack(p, o);
            }
        } else if (v instanceof Map) {
            Map<String, Object> m = (Map<String, Object>) v;
            p.packMapHeader(m.size());
            for (Map.Entry<String, Object> e : m.entrySet()) {
                p.packString(e.getKey());
                pack(p, e.getValue());
            }
        } else {
            throw new IllegalArgumentException("cannot pack " + v.getClass());
        }
    }
}
