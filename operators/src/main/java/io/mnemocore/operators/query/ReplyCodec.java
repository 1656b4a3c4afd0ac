package io.mnemocore.operators.query;

import io.mnemocore.operators.codec.MsgpackWriter;
import java.io.IOException;
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
 *  metadata: {tier, latency_ms, confidence, degraded, degraded_reason?, scanned, approximate, predicted?, predicted_by?,
 *             stages_us?}}
 * </pre>
 * {@code payload} is the memory's payload exactly as it was written (any msgpack value).
 */
public final class ReplyCodec {
    /*
     * msgpack's defaults cost 8 KB (a packer's buffer) and 16 KB (an unpacker's string decode
     * buffer, taken at its first string) per reply, whatever its size: garbage in the job's reply
     * chain and in every reader. A reply is written by MsgpackWriter into this thread's scratch
     * buffer, with its keys encoded once; the decode buffer only serves strings that span input
     * segments, which one byte array never has, and decodes longer ones in pieces.
     */
    private static final MessagePack.UnpackerConfig UNPACKER = MessagePack.DEFAULT_UNPACKER_CONFIG.withStringDecoderBufferSize(256);

    private ReplyCodec() {}

    public static byte[] encode(QueryReply r) {
        MsgpackWriter w = MsgpackWriter.scratch().mapHeader(6);
        w.raw(TYPE).raw(QUERY_RESULT);
        w.raw(QUERY_ID).str(r.queryId);
        w.raw(TENANT).str(r.tenant);
        w.raw(KIND).str(r.kind);
        w.raw(HITS).arrayHeader(r.hits.length);
        for (Hit h : r.hits) {
            w.mapHeader(5 + (h.contextId != null ? 1 : 0) + (h.payload != null ? 1 : 0));
            w.raw(MEMORY_ID).str(h.memoryId);
            w.raw(DISTANCE).integer(h.distance);
            w.raw(SCORE).float64(h.score);
            w.raw(TIER).str(h.tier);
            w.raw(LTP_STRENGTH).float64(h.strength);
            if (h.contextId != null) {
                w.raw(CONTEXT_ID).str(h.contextId);
            }
            if (h.payload != null) {
                w.raw(PAYLOAD).raw(h.payload); // already msgpack
            }
        }
        w.raw(METADATA).mapHeader(6 + (r.degradedReason != null ? 1 : 0) + (r.predicted != null ? 1 : 0)
                + (r.predictedBy != null ? 1 : 0) + (r.stagesUs != null ? 1 : 0));
        w.raw(TIER).str(r.tier);
        w.raw(LATENCY_MS).integer(r.latencyMs);
        w.raw(CONFIDENCE).str(r.confidence);
        w.raw(DEGRADED).bool(r.degraded);
        if (r.degradedReason != null) {
            w.raw(DEGRADED_REASON).str(r.degradedReason);
        }
        w.raw(SCANNED).integer(r.scanned);
        w.raw(APPROXIMATE).bool(r.approximate);
        if (r.predicted != null) {
            w.raw(PREDICTED).arrayHeader(r.predicted.length);
            for (String id : r.predicted) {
                w.str(id);
            }
        }
        if (r.predictedBy != null) {
            w.raw(PREDICTED_BY).str(r.predictedBy);
        }
        if (r.stagesUs != null) {
            w.raw(STAGES_US).arrayHeader(r.stagesUs.length);
            for (long t : r.stagesUs) {
                w.integer(t);
            }
        }
        return w.toByteArray();
    }

    private static final byte[] TYPE = MsgpackWriter.encoded("type");
    private static final byte[] QUERY_RESULT = MsgpackWriter.encoded("query.result");
    private static final byte[] QUERY_ID = MsgpackWriter.encoded("query_id");
    private static final byte[] TENANT = MsgpackWriter.encoded("tenant");
    private static final byte[] KIND = MsgpackWriter.encoded("kind");
    private static final byte[] HITS = MsgpackWriter.encoded("hits");
    private static final byte[] MEMORY_ID = MsgpackWriter.encoded("memory_id");
    private static final byte[] DISTANCE = MsgpackWriter.encoded("distance");
    private static final byte[] SCORE = MsgpackWriter.encoded("score");
    private static final byte[] TIER = MsgpackWriter.encoded("tier");
    private static final byte[] LTP_STRENGTH = MsgpackWriter.encoded("ltp_strength");
    private static final byte[] CONTEXT_ID = MsgpackWriter.encoded("context_id");
    private static final byte[] PAYLOAD = MsgpackWriter.encoded("payload");
    private static final byte[] METADATA = MsgpackWriter.encoded("metadata");
    private static final byte[] LATENCY_MS = MsgpackWriter.encoded("latency_ms");
    private static final byte[] CONFIDENCE = MsgpackWriter.encoded("confidence");
    private static final byte[] DEGRADED = MsgpackWriter.encoded("degraded");
    private static final byte[] DEGRADED_REASON = MsgpackWriter.encoded("degraded_reason");
    private static final byte[] SCANNED = MsgpackWriter.encoded("scanned");
    private static final byte[] APPROXIMATE = MsgpackWriter.encoded("approximate");
    private static final byte[] PREDICTED = MsgpackWriter.encoded("predicted");
    private static final byte[] PREDICTED_BY = MsgpackWriter.encoded("predicted_by");
    private static final byte[] STAGES_US = MsgpackWriter.encoded("stages_us");

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
                                case "predicted_by" -> r.predictedBy = u.unpackString();
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
