package io.mnemocore.operators.query;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;

/**
 * The reply format on a query's {@code reply_to} stream (msgpack map in field {@code data}):
 * <pre>
 * {type: "query.result", query_id, tenant, kind,
 *  hits: [{memory_id, distance, score, tier, ltp_strength, context_id?, payload?}, ...],
 *  metadata: {tier, latency_ms, confidence, degraded, degraded_reason?, scanned, approximate, predicted?, stages_us?}}
 * </pre>
 * {@code payload} is the memory's payload exactly as it was written (any msgpack value).
 */
public final class ReplyCodec {
    /*
     * msgpack's defaults cost 8 KB (a packer's buffer) and 16 KB (an unpacker's string decode
     * buffer, taken at its first string) per reply, whatever its size: garbage in the job's reply
     * chain and in every reader. A reply's buffer is sized to the reply; the decode buffer only
     * serves strings that span input segments, which one byte array never has, and decodes longer
     * ones in pieces.
     */
    private static final MessagePack.UnpackerConfig UNPACKER = MessagePack.DEFAULT_UNPACKER_CONFIG.withStringDecoderBufferSize(256);

    private ReplyCodec() {}

    /** Room for the fixed keys and metadata, and per hit its fields and payload: a hint, the packer grows past it. */
    private static int sizeHint(QueryReply r) {
        int n = 256;
        for (Hit h : r.hits) {
            n += 128 + (h.payload != null ? h.payload.length : 0);
        }
        if (r.predicted != null) {
            n += r.predicted.length * 40;
        }
        return n;
    }

    public static byte[] encode(QueryReply r) {
        try (MessageBufferPacker p = MessagePack.DEFAULT_PACKER_CONFIG.withBufferSize(sizeHint(r)).newBufferPacker()) {
            p.packMapHeader(6);
            p.packString("type").packString("query.result");
            p.packString("query_id").packString(r.queryId);
            p.packString("tenant").packString(r.tenant);
            p.packString("kind").packString(r.kind);
            p.packString("hits").packArrayHeader(r.hits.length);
            for (Hit h : r.hits) {
                int n = 5 + (h.contextId != null ? 1 : 0) + (h.payload != null ? 1 : 0);
                p.packMapHeader(n);
                p.packString("memory_id").packString(h.memoryId);
                p.packString("distance").packInt(h.distance);
                p.packString("score").packDouble(h.score);
                p.packString("tier").packString(h.tier);
                p.packString("ltp_strength").packDouble(h.strength);
                if (h.contextId != null) {
                    p.packString("context_id").packString(h.contextId);
                }
                if (h.payload != null) {
                    p.packString("payload");
                    p.writePayload(h.payload); // already msgpack
                }
            }
            p.packString("metadata").packMapHeader(6 + (r.degradedReason != null ? 1 : 0) + (r.predicted != null ? 1 : 0)
                    + (r.stagesUs != null ? 1 : 0));
            p.packString("tier").packString(r.tier);
            p.packString("latency_ms").packLong(r.latencyMs);
            p.packString("confidence").packString(r.confidence);
            p.packString("degraded").packBoolean(r.degraded);
            if (r.degradedReason != null) {
                p.packString("degraded_reason").packString(r.degradedReason);
            }
            p.packString("scanned").packInt(r.scanned);
            p.packString("approximate").packBoolean(r.approximate);
            if (r.predicted != null) {
                p.packString("predicted").packArrayHeader(r.predicted.length);
                for (String id : r.predicted) {
                    p.packString(id);
                }
            }
            if (r.stagesUs != null) {
                p.packString("stages_us").packArrayHeader(r.stagesUs.length);
                for (long t : r.stagesUs) {
                    p.packLong(t);
                }
            }
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a reply back (clients, tests); payloads come back as msgpack bytes. */
    public static QueryReply decode(byte[] data) throws IOException {
        QueryReply r = new QueryReply();
        try (MessageUnpacker u = UNPACKER.newUnpacker(data)) {
            int n = u.unpackMapHeader();
            for (int i = 0; i < n; i++) {
                String k = u.unpackString();
                switch (k) {
                    case "query_id" -> r.queryId = u.unpackString();
                    case "tenant" -> r.tenant = u.unpackString();
                    case "kind" -> r.kind = u.unpackString();
                    case "hits" -> {
                        int m = u.unpackArrayHeader();
                        List<Hit> hits = new ArrayList<>();
                        for (int j = 0; j < m; j++) {
                            hits.add(hit(u));
                        }
                        r.hits = hits.toArray(new Hit[0]);
                    }
                    case "metadata" -> {
                        int m = u.unpackMapHeader();
                        for (int j = 0; j < m; j++) {
                            switch (u.unpackString()) {
                                case "tier" -> r.tier = u.unpackString();
                                case "latency_ms" -> r.latencyMs = u.unpackLong();
                                case "confidence" -> r.confidence = u.unpackString();
                                case "degraded" -> r.degraded = u.unpackBoolean();
                                case "degraded_reason" -> r.degradedReason = u.unpackString();
                                case "scanned" -> r.scanned = u.unpackInt();
                                case "approximate" -> r.approximate = u.unpackBoolean();
                                case "predicted" -> {
                                    r.predicted = new String[u.unpackArrayHeader()];
                                    for (int x = 0; x < r.predicted.length; x++) {
                                        r.predicted[x] = u.unpackString();
                                    }
                                }
                                case "stages_us" -> {
                                    r.stagesUs = new long[u.unpackArrayHeader()];
                                    for (int x = 0; x < r.stagesUs.length; x++) {
                                        r.stagesUs[x] = u.unpackLong();
                                    }
                                }
                                default -> u.skipValue();
                            }
                        }
                    }
                    default -> u.skipValue();
                }
            }
        }
        return r;
    }

    private static Hit hit(MessageUnpacker u) throws IOException {
        Hit h = new Hit();
        int n = u.unpackMapHeader();
        for (int i = 0; i < n; i++) {
            switch (u.unpackString()) {
                case "memory_id" -> h.memoryId = u.unpackString();
                case "distance" -> h.distance = u.unpackInt();
                case "score" -> h.score = u.unpackDouble();
                case "tier" -> h.tier = u.unpackString();
                case "ltp_strength" -> h.strength = u.unpackDouble();
                case "context_id" -> h.contextId = u.unpackString();
                case "payload" -> {
                    Value v = u.unpackValue();
                    // Payloads are small: the default 8 KB buffer per hit is garbage a reader need not make.
                    try (MessageBufferPacker p = MessagePack.DEFAULT_PACKER_CONFIG.withBufferSize(256).newBufferPacker()) {
                        p.packValue(v);
                        h.payload = p.toByteArray();
                    }
                }
                default -> u.skipValue();
            }
        }
        return h;
    }
}
