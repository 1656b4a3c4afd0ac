package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class ReplyCodecTest {

    static Hit hit(String id, int distance, String contextId, byte[] payload) {
        Hit h = new Hit();
        h.memoryId = id;
        h.distance = distance;
        h.score = 1.0 - distance / 16384.0;
        h.tier = "hot";
        h.strength = 0.75;
        h.contextId = contextId;
        h.payload = payload;
        return h;
    }

    static byte[] msgpackString(String s) throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packString(s);
            return p.toByteArray();
        }
    }

    /** Strings far past the reader's 256-char decode buffer and the writer's size hint, multi-byte ones included. */
    @Test
    void roundTripsEveryFieldWithLongMultiByteStrings() throws Exception {
        String longId = "mémoire-€-🧠-".repeat(400); // ~5,600 chars, 2-4 UTF-8 bytes each for most
        byte[] payload = msgpackString("payload ✓ ".repeat(2_000));
        QueryReply r = new QueryReply();
        r.queryId = "q-" + longId;
        r.tenant = "tenant-ü";
        r.kind = "query";
        r.hits = new Hit[] {hit(longId, 12, "küche", payload), hit("m2", 300, null, null)};
        r.tier = "hot+warm";
        r.latencyMs = 7;
        r.confidence = "low";
        r.degraded = true;
        r.degradedReason = "warm: timeout ⏱";
        r.scanned = 1234;
        r.approximate = true;
        r.predicted = new String[] {"p1", longId};
        r.predictedBy = "history+content";
        r.stagesUs = new long[] {1_796_500_000_123_456L, 310, 420, 2_900, 3_150};

        QueryReply back = ReplyCodec.decode(ReplyCodec.encode(r));

        assertThat(back.queryId).isEqualTo(r.queryId);
        assertThat(back.tenant).isEqualTo("tenant-ü");
        assertThat(back.kind).isEqualTo("query");
        assertThat(back.tier).isEqualTo("hot+warm");
        assertThat(back.latencyMs).isEqualTo(7);
        assertThat(back.confidence).isEqualTo("low");
        assertThat(back.degraded).isTrue();
        assertThat(back.degradedReason).isEqualTo("warm: timeout ⏱");
        assertThat(back.scanned).isEqualTo(1234);
        assertThat(back.approximate).isTrue();
        assertThat(back.predicted).containsExactly("p1", longId);
        assertThat(back.predictedBy).isEqualTo("history+content");
        assertThat(back.stagesUs).containsExactly(1_796_500_000_123_456L, 310, 420, 2_900, 3_150);
        assertThat(back.hits).hasSize(2);
        assertThat(back.hits[0].memoryId).isEqualTo(longId);
        assertThat(back.hits[0].distance).isEqualTo(12);
        assertThat(back.hits[0].score).isEqualTo(r.hits[0].score);
        assertThat(back.hits[0].strength).isEqualTo(0.75);
        assertThat(back.hits[0].contextId).isEqualTo("küche");
        assertThat(back.hits[0].payload).isEqualTo(payload);
        assertThat(back.hits[1].memoryId).isEqualTo("m2");
        assertThat(back.hits[1].contextId).isNull();
        assertThat(back.hits[1].payload).isNull();
    }
}
