package io.mnemocore.operators.codec;

import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class EventCodecTest {
    private static final int D = 16384;
    private final EventCodec codec = new EventCodec(CodecLimits.defaults(D));
    private final Hdv h = Hdv.random(D, 1);

    private DecodeResult decode(Map<String, Object> m) {
        return codec.decode(packb(m), "1700000000000-0", null);
    }

    private DecodeError.Reason reason(Map<String, Object> m) {
        DecodeResult r = decode(m);
        assertThat(r.isOk()).as("expected rejection of %s", m.keySet()).isFalse();
        assertThat(r.error().detail()).isNotBlank();
        return r.error().reason();
    }

    @Test
    void blueprintMemoryWriteDecodesInBothHdvLayouts() {
        long ts = 1_739_500_000_123L;
        for (byte[] hdvBytes : List.of(h.toPacked(), h.toUnpacked())) {
            DecodeResult r = decode(dict("type", "memory.write", "hdv", hdvBytes, "context_id", "ctx-1",
                    "ltp_strength", 0.9, "timestamp", ts));
            assertThat(r.isOk()).as(String.valueOf(r)).isTrue();
            MemoryEvent e = r.event();
            assertThat(e.type).isEqualTo(EventType.MEMORY_WRITE);
            assertThat(Hdv.wrap(D, e.hdv)).isEqualTo(h);
            assertThat(e.contextId).isEqualTo("ctx-1");
            assertThat(e.ltpStrength).isEqualTo(0.9);
            assertThat(e.timestamp).isEqualTo(ts);
            assertThat(e.tenant).isEqualTo("default");
            // memory_id absent: derived from the entry id, so redelivery maps to the same memory.
            assertThat(e.memoryId).isEqualTo("1700000000000-0");
        }
    }

    @Test
    void allBlueprintEventTypesDecode() {
        MemoryEvent access = decode(dict("type", "memory.access", "memory_id", "m1", "access_count", 3,
                "last_access", 1_739_500_000_000L, "tenant", "acme")).event();
        assertThat(access.memoryId).isEqualTo("m1");
        assertThat(access.accessCount).isEqualTo(3);
        assertThat(access.tenant).isEqualTo("acme");

        MemoryEvent trig = decode(dict("type", "consolidation.trigger", "tier", "hot_to_warm",
                "memory_ids", List.of("a", "b"))).event();
        assertThat(trig.memoryIds).containsExactly("a", "b");

        MemoryEvent pred = decode(dict("type", "inference.predict", "context_hdv", h.toPacked(),
                "prediction_window", 60)).event();
        assertThat(pred.predictionWindowS).isEqualTo(60);
        assertThat(Hdv.wrap(D, pred.hdv)).isEqualTo(h);

        MemoryEvent del = decode(dict("type", "memory.delete", "memory_id", "m1")).event();
        assertThat(del.type).isEqualTo(EventType.MEMORY_DELETE);

        MemoryEvent q = decode(dict("type", "query", "query_id", "q1", "tenant", "acme", "text", "what did I eat",
                "k", 5, "reply_to", "haim:replies:agent7")).event();
        assertThat(q.k).isEqualTo(5);
        assertThat(q.text).isEqualTo("what did I eat");
        assertThat(q.replyTo).isEqualTo("haim:replies:agent7");
        MemoryEvent q2 = decode(dict("type", "query", "query_id", "q2", "hdv", h.toUnpacked())).event();
        assertThat(q2.k).isEqualTo(EventCodec.DEFAULT_K);
        assertThat(q2.replyTo).isEqualTo(EventCodec.DEFAULT_REPLY_STREAM);
    }

    @Test
    void textWritesPayloadsAndFloatTimestampsAreAccepted() {
        MemoryEvent e = decode(dict("type", "memory.write", "text", "user likes tea", "memory_id", "m-9",
                "timestamp", 1.7395e12, "payload", dict("source", "chat", "tags", List.of("x", 1)))).event();
        assertThat(e.text).isEqualTo("user likes tea");
        assertThat(e.memoryId).isEqualTo("m-9");
        assertThat(e.timestamp).isEqualTo(1_739_500_000_000L);
        assertThat(Double.isNaN(e.ltpStrength)).isTrue();
        assertThat(e.payload).isEqualTo(packb(dict("source", "chat", "tags", List.of("x", 1))));
    }

    @Test
    void bytesPackedAsRawStrByOldProducersAreAccepted() throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(2);
            p.packString("type");
            p.packString("memory.write");
            p.packString("hdv");
            p.packRawStringHeader(D / 8); // use_bin_type=False
            p.writePayload(h.toPacked());
            DecodeResult r = codec.decode(p.toByteArray(), "1-0", null);
            assertThat(Hdv.wrap(D, r.event().hdv)).isEqualTo(h);
        }
    }

    @Test
    void everyBadInputGetsItsTypedReason() {
        assertThat(codec.decode(null, "1-0", null).error().reason()).isEqualTo(DecodeError.Reason.MISSING_FIELD);
        assertThat(codec.decode(new byte[] {(byte) 0xC1}, "1-0", null).error().reason()).isEqualTo(DecodeError.Reason.MALFORMED);
        assertThat(codec.decode(new byte[0], "1-0", null).error().reason()).isEqualTo(DecodeError.Reason.MALFORMED);
        assertThat(codec.decode(packb(dict("type", "query")).length > 0 ? new byte[] {(byte) 0x93, 1, 2, 3} : null, "1-0", null)
                .error().reason()).isEqualTo(DecodeError.Reason.NOT_A_MAP);
        assertThat(reason(dict("hdv", h.toPacked()))).isEqualTo(DecodeError.Reason.MISSING_FIELD);
        assertThat(reason(dict("type", 7))).isEqualTo(DecodeError.Reason.WRONG_TYPE);
        assertThat(reason(dict("type", "memory.explode"))).isEqualTo(DecodeError.Reason.UNKNOWN_TYPE);
        assertThat(reason(dict("type", "memory.write", "hdv", new byte[100]))).isEqualTo(DecodeError.Reason.BAD_HDV_LENGTH);
        byte[] bad = h.toUnpacked();
        bad[77] = 2;
        assertThat(reason(dict("type", "memory.write", "hdv", bad))).isEqualTo(DecodeError.Reason.BAD_HDV_VALUE);
        assertThat(reason(dict("type", "memory.write", "hdv", "not bytes either way".repeat(1)))).isEqualTo(DecodeError.Reason.BAD_HDV_LENGTH);
        assertThat(reason(dict("type", "memory.write", "hdv", 5))).isEqualTo(DecodeError.Reason.WRONG_TYPE);
        assertThat(reason(dict("type", "memory.write", "hdv", h.toPacked(), "ltp_strength", Double.NaN))).isEqualTo(DecodeError.Reason.BAD_STRENGTH);
        assertThat(reason(dict("type", "memory.write", "hdv", h.toPacked(), "ltp_strength", 1.5))).isEqualTo(DecodeError.Reason.BAD_STRENGTH);
        assertThat(reason(dict("type", "memory.write", "hdv", h.toPacked(), "ltp_strength", "high"))).isEqualTo(DecodeError.Reason.WRONG_TYPE);
        assertThat(reason(dict("type", "memory.write", "text", "x", "memory_id", "m".repeat(300)))).isEqualTo(DecodeError.Reason.ID_TOO_LONG);
        assertThat(reason(dict("type", "memory.write", "text", "x", "memory_id", "a\nb"))).isEqualTo(DecodeError.Reason.BAD_ID);
        assertThat(reason(dict("type", "memory.write", "text", "x", "tenant", "../etc"))).isEqualTo(DecodeError.Reason.BAD_ID);
        assertThat(reason(dict("type", "memory.write", "text", "x".repeat(20_000)))).isEqualTo(DecodeError.Reason.TEXT_TOO_LONG);
        assertThat(reason(dict("type", "memory.write", "text", "x", "payload", new byte[70_000]))).isEqualTo(DecodeError.Reason.PAYLOAD_TOO_LARGE);
        assertThat(codec.decode(new byte[300_000], "1-0", null).error().reason()).isEqualTo(DecodeError.Reason.OVERSIZED);
        assertThat(reason(dict("type", "memory.write"))).isEqualTo(DecodeError.Reason.MISSING_FIELD);
        assertThat(reason(dict("type", "memory.write", "text", "x", "hdv", h.toPacked()))).isEqualTo(DecodeError.Reason.CONFLICTING_FIELDS);
        assertThat(reason(dict("type", "memory.access"))).isEqualTo(DecodeError.Reason.MISSING_FIELD);
        assertThat(reason(dict("type", "memory.access", "memory_id", "m", "access_count", -1))).isEqualTo(DecodeError.Reason.BAD_VALUE);
        assertThat(reason(dict("type", "consolidation.trigger", "tier", "sideways", "memory_ids", List.of()))).isEqualTo(DecodeError.Reason.BAD_VALUE);
        assertThat(reason(dict("type", "consolidation.trigger", "tier", "hot_to_warm", "memory_ids", "a"))).isEqualTo(DecodeError.Reason.WRONG_TYPE);
        assertThat(reason(dict("type", "consolidation.trigger", "tier", "hot_to_warm", "memory_ids", List.of("a", 3)))).isEqualTo(DecodeError.Reason.WRONG_TYPE);
        assertThat(reason(dict("type", "inference.predict", "context_hdv", h.toPacked()))).isEqualTo(DecodeError.Reason.MISSING_FIELD);
        assertThat(reason(dict("type", "query", "query_id", "q", "text", "x", "k", 0))).isEqualTo(DecodeError.Reason.BAD_VALUE);
        assertThat(reason(dict("type", "query", "query_id", "q", "text", "x", "k", 1_000_000))).isEqualTo(DecodeError.Reason.BAD_VALUE);
        assertThat(reason(dict("type", "memory.write", "text", "x", "timestamp", -5))).isEqualTo(DecodeError.Reason.BAD_VALUE);
        assertThat(reason(dict("type", "memory.write", "text", "   "))).isEqualTo(DecodeError.Reason.BAD_VALUE);

        byte[] ok = packb(dict("type", "memory.delete", "memory_id", "m"));
        byte[] trailing = java.util.Arrays.copyOf(ok, ok.length + 1);
        assertThat(codec.decode(trailing, "1-0", null).error().reason()).isEqualTo(DecodeError.Reason.TRAILING_BYTES);
        assertThat(codec.decode(java.util.Arrays.copyOf(ok, ok.length - 1), "1-0", null).error().reason())
                .isEqualTo(DecodeError.Reason.MALFORMED);
        assertThat(codec.decode(packb(dict("type", "memory.write", "text", "x")), null, null).error().reason())
                .isEqualTo(DecodeError.Reason.MISSING_FIELD);
    }

    @Test
    void duplicateKeysAreRejected() throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(3);
            p.packString("type").packString("memory.delete");
            p.packString("memory_id").packString("a");
            p.packString("memory_id").packString("b");
            assertThat(codec.decode(p.toByteArray(), "1-0", null).error().reason()).isEqualTo(DecodeError.Reason.DUPLICATE_FIELD);
        }
    }

    @Test
    void tenantComesFromTheStreamAndMayNotBeContradicted() {
        byte[] own = packb(dict("type", "memory.delete", "memory_id", "m", "tenant", "acme"));
        byte[] other = packb(dict("type", "memory.delete", "memory_id", "m", "tenant", "globex"));
        byte[] none = packb(dict("type", "memory.delete", "memory_id", "m"));
        assertThat(codec.decode(own, "1-0", "acme").event().tenant).isEqualTo("acme");
        assertThat(codec.decode(none, "1-0", "acme").event().tenant).isEqualTo("acme");
        DecodeResult r = codec.decode(other, "1-0", "acme");
        assertThat(r.error().reason()).isEqualTo(DecodeError.Reason.TENANT_MISMATCH);
        assertThat(r.error().detail()).contains("globex", "acme");
    }

    /** On a tenant's stream a query may reply only into that tenant's streams, and does so by default. */
    @Test
    void aTenantsQueryRepliesIntoTheTenantsStreams() {
        byte[] hdv = new byte[D / 8];
        assertThat(codec.decode(packb(dict("type", "query", "query_id", "q", "hdv", hdv)), "1-0", "acme").event().replyTo)
                .isEqualTo("haim:replies:acme");
        assertThat(codec.decode(packb(dict("type", "inference.predict", "context_hdv", hdv, "prediction_window", 60)), "1-0", "acme")
                .event().replyTo).isEqualTo("haim:replies:acme");
        assertThat(codec.decode(packb(dict("type", "query", "query_id", "q", "hdv", hdv, "reply_to", "agent7:acme")), "1-0", "acme")
                .event().replyTo).isEqualTo("agent7:acme");
        for (String foreign : new String[] {"haim:replies", "haim:replies:globex", "agent7:acme:x", "acme"}) {
            DecodeResult r = codec.decode(packb(dict("type", "query", "query_id", "q", "hdv", hdv, "reply_to", foreign)), "1-0", "acme");
            assertThat(r.error()).as(foreign).isNotNull();
            assertThat(r.error().reason()).isEqualTo(DecodeError.Reason.TENANT_MISMATCH);
            assertThat(r.error().detail()).contains(foreign, "':acme'");
        }
        // On a shared stream any reply stream of the caller's goes.
        assertThat(codec.decode(packb(dict("type", "query", "query_id", "q", "hdv", hdv, "reply_to", "haim:replies:globex")), "1-0", null)
                .event().replyTo).isEqualTo("haim:replies:globex");
    }

    @Test
    void aReplyMayNotGoToAStreamOfTheJob() {
        // "bus:" stands for the tenant streams bus:<tenant>; the query stream's are not read here.
        EventCodec custom = new EventCodec(CodecLimits.defaults(D).withReservedStreams("bus", "asks", "bus:"));
        for (String to : new String[] {"bus", "bus:acme", "asks"}) {
            DecodeResult r = custom.decode(packb(dict("type", "query", "query_id", "q", "hdv", new byte[D / 8], "reply_to", to)), "1-0", null);
            assertThat(r.error()).as(to).isNotNull();
            assertThat(r.error().reason()).isEqualTo(DecodeError.Reason.RESERVED_REPLY_TO);
            assertThat(r.error().detail()).contains(to.substring(0, to.indexOf(':') < 0 ? to.length() : to.indexOf(':')));
            DecodeResult p = custom.decode(packb(dict("type", "inference.predict", "context_hdv", new byte[D / 8],
                    "prediction_window", 60, "reply_to", to)), "1-0", null);
            assertThat(p.error().reason()).as(to).isEqualTo(DecodeError.Reason.RESERVED_REPLY_TO);
        }
        // A name that only begins like one of them is the caller's own stream.
        for (String to : new String[] {"busy", "bus-replies", "asks.r", "asks:replies", "haim:replies:x"}) {
            assertThat(custom.decode(packb(dict("type", "query", "query_id", "q", "hdv", new byte[D / 8], "reply_to", to)), "1-0", null)
                    .event().replyTo).isEqualTo(to);
        }
        // The defaults reserve the default streams, and the default reply stream is not one of them.
        assertThat(codec.decode(packb(dict("type", "query", "query_id", "q", "hdv", new byte[D / 8], "reply_to", "haim:dlq")), "1-0", null)
                .error().reason()).isEqualTo(DecodeError.Reason.RESERVED_REPLY_TO);
        assertThat(codec.decode(packb(dict("type", "query", "query_id", "q", "hdv", new byte[D / 8])), "1-0", null)
                .event().replyTo).isEqualTo(EventCodec.DEFAULT_REPLY_STREAM);
    }

    @Test
    void encodeThenDecodeRoundTrips() {
        MemoryEvent w = new MemoryEvent();
        w.type = EventType.MEMORY_WRITE;
        w.tenant = "acme";
        w.memoryId = "m-1";
        w.contextId = "kitchen";
        w.hdv = h.words();
        w.ltpStrength = 0.75;
        w.timestamp = 123456789L;
        w.payload = packb(dict("k", "v"));
        w.sourceId = "5-0";
        assertThat(codec.decode(codec.encode(w), "5-0", null).event()).isEqualTo(w);

        MemoryEvent q = new MemoryEvent();
        q.type = EventType.QUERY;
        q.tenant = "acme";
        q.queryId = "q-1";
        q.text = "hello";
        q.k = 7;
        q.replyTo = "r";
        q.sourceId = "6-0";
        assertThat(codec.decode(codec.encode(q), "6-0", null).event()).isEqualTo(q);
    }

    /**
     * Every type encodes to what Python's {@code msgpack.packb} makes of the same dict (keys in the
     * encoder's order, the payload last as the value it holds), for every mix of the access event's
     * optional fields, and decodes back.
     */
    @Test
    void everyTypeEncodesAsPackbPacksItsDict() {
        Map<String, Object> why = dict("why", "hit");
        byte[] payload = packb(why);
        long[] v = h.words();
        byte[] bits = h.toPacked();
        int seen = 0;
        for (int mask = 0; mask < 32; mask++) {
            MemoryEvent a = new MemoryEvent();
            a.type = EventType.MEMORY_ACCESS;
            a.tenant = (mask & 1) != 0 ? "acme" : null;
            a.memoryId = "m-" + mask;
            a.contextId = (mask & 2) != 0 ? "kitchen" : null;
            a.accessCount = (mask & 4) != 0 ? 3 : 0;
            a.lastAccess = (mask & 8) != 0 ? 1_700_000_000_123L : 0;
            a.timestamp = (mask & 16) != 0 ? 1_700_000_000_456L : 0;
            a.payload = mask % 3 == 0 ? payload : null;
            Map<String, Object> d = dict("type", "memory.access");
            if (a.tenant != null) d.put("tenant", a.tenant);
            d.put("memory_id", a.memoryId);
            if (a.contextId != null) d.put("context_id", a.contextId);
            d.put("access_count", Math.max(1, a.accessCount));
            if (a.lastAccess != 0) d.put("last_access", a.lastAccess);
            if (a.timestamp != 0) d.put("timestamp", a.timestamp);
            if (a.payload != null) d.put("payload", why);
            assertThat(codec.encode(a)).as("access, mask " + mask).isEqualTo(packb(d));
            MemoryEvent back = codec.decode(codec.encode(a), "7-" + mask, null).event();
            assertThat(back.memoryId).isEqualTo(a.memoryId);
            assertThat(back.tenant).isEqualTo(a.tenant == null ? MemoryEvent.DEFAULT_TENANT : a.tenant);
            assertThat(back.contextId).isEqualTo(a.contextId);
            assertThat(back.accessCount).isEqualTo(Math.max(1, a.accessCount));
            assertThat(back.lastAccess).isEqualTo(a.lastAccess);
            assertThat(back.payload).isEqualTo(a.payload);
            seen++;
        }
        assertThat(seen).isEqualTo(32);

        MemoryEvent w = event(EventType.MEMORY_WRITE);
        w.memoryId = "m-1";
        w.contextId = "küche";
        w.hdv = v;
        w.ltpStrength = 0.75;
        w.payload = payload;
        assertThat(codec.encode(w)).isEqualTo(packb(dict("type", "memory.write", "tenant", "acme", "memory_id", "m-1",
                "context_id", "küche", "hdv", bits, "ltp_strength", 0.75, "timestamp", 99L, "payload", why)));
        MemoryEvent t = event(EventType.MEMORY_WRITE);
        t.text = "what did I eat";
        assertThat(codec.encode(t)).isEqualTo(packb(dict("type", "memory.write", "tenant", "acme", "text", "what did I eat",
                "timestamp", 99L)));

        MemoryEvent del = event(EventType.MEMORY_DELETE);
        del.memoryId = "m-2";
        assertThat(codec.encode(del)).isEqualTo(packb(dict("type", "memory.delete", "tenant", "acme", "memory_id", "m-2",
                "timestamp", 99L)));

        MemoryEvent trig = event(EventType.CONSOLIDATION_TRIGGER);
        trig.tier = "hot_to_warm";
        trig.memoryIds = new String[] {"a", "b"};
        assertThat(codec.encode(trig)).isEqualTo(packb(dict("type", "consolidation.trigger", "tenant", "acme",
                "tier", "hot_to_warm", "memory_ids", List.of("a", "b"), "timestamp", 99L)));
        trig.memoryIds = null;
        assertThat(codec.encode(trig)).isEqualTo(packb(dict("type", "consolidation.trigger", "tenant", "acme",
                "tier", "hot_to_warm", "memory_ids", List.of(), "timestamp", 99L)));

        MemoryEvent pr = event(EventType.INFERENCE_PREDICT);
        pr.hdv = v;
        pr.predictionWindowS = 60;
        pr.contextId = "c";
        pr.queryId = "p-1";
        pr.replyTo = "r";
        pr.k = 5;
        assertThat(codec.encode(pr)).isEqualTo(packb(dict("type", "inference.predict", "tenant", "acme", "context_hdv", bits,
                "prediction_window", 60L, "context_id", "c", "query_id", "p-1", "reply_to", "r", "k", 5L, "timestamp", 99L)));

        MemoryEvent q = event(EventType.QUERY);
        q.queryId = "q-1";
        q.hdv = v;
        q.k = 10;
        q.replyTo = "r";
        assertThat(codec.encode(q)).isEqualTo(packb(dict("type", "query", "tenant", "acme", "query_id", "q-1", "hdv", bits,
                "k", 10L, "reply_to", "r", "timestamp", 99L)));

        MemoryEvent rs = event(EventType.MEMORY_RESTORE);
        rs.memoryId = "m-3";
        rs.hdv = v;
        rs.ltpStrength = 0.25;
        rs.updatedMs = 1_700_000_000_000L;
        rs.halfLifeMs = 3.6e6;
        rs.accessCount = 4;
        rs.lastAccess = 1_700_000_000_500L;
        rs.archive = "cold/x.npy#3";
        rs.origin = "access";
        assertThat(codec.encode(rs)).isEqualTo(packb(dict("type", "memory.restore", "tenant", "acme", "memory_id", "m-3",
                "hdv", bits, "ltp_strength", 0.25, "updated_ms", 1_700_000_000_000L, "half_life_ms", 3_600_000L,
                "access_count", 4L, "last_access", 1_700_000_000_500L, "archive", "cold/x.npy#3", "origin", "access",
                "timestamp", 99L)));
        for (MemoryEvent e : List.of(w, t, del, trig, pr, q, rs)) {
            assertThat(codec.decode(codec.encode(e), "8-0", null).isOk()).as(e.type.wire()).isTrue();
        }
        // A required id left null goes out as nil, a whole map, and the decoder names the field.
        del.memoryId = null;
        assertThat(codec.encode(del)).isEqualTo(packb(dict("type", "memory.delete", "tenant", "acme", "memory_id", null,
                "timestamp", 99L)));
        DecodeResult missing = codec.decode(codec.encode(del), "8-1", null);
        assertThat(missing.error().reason()).isEqualTo(DecodeError.Reason.MISSING_FIELD);
        assertThat(missing.error().detail()).contains("memory_id");
    }

    private static MemoryEvent event(EventType type) {
        MemoryEvent e = new MemoryEvent();
        e.type = type;
        e.tenant = "acme";
        e.timestamp = 99L;
        return e;
    }

    /** The tenant check, written out by hand for speed, accepts exactly what its documented pattern does. */
    @Test
    void tenantsAreAcceptedExactlyWhenTheyMatchTheirPattern() {
        java.util.regex.Pattern documented = java.util.regex.Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
        String alphabet = "aZm09_.:-/ é\u0000@";
        java.util.Random rnd = new java.util.Random(11);
        int accepted = 0, rejected = 0;
        for (int i = 0; i < 3000; i++) {
            int n = rnd.nextInt(70);
            StringBuilder t = new StringBuilder();
            for (int j = 0; j < n; j++) {
                // Mostly valid characters, so that long valid tenants come up too.
                t.append(rnd.nextInt(40) == 0 ? alphabet.charAt(9 + rnd.nextInt(alphabet.length() - 9)) : alphabet.charAt(rnd.nextInt(9)));
            }
            DecodeResult r = decode(dict("type", "memory.delete", "memory_id", "m", "tenant", t.toString()));
            assertThat(r.isOk()).as("tenant '%s'", t).isEqualTo(documented.matcher(t).matches());
            if (r.isOk()) {
                assertThat(r.event().tenant).isEqualTo(t.toString());
                accepted++;
            } else {
                assertThat(r.error().reason()).isIn(DecodeError.Reason.BAD_ID, DecodeError.Reason.ID_TOO_LONG);
                rejected++;
            }
        }
        assertThat(accepted).isGreaterThan(500);
        assertThat(rejected).isGreaterThan(500);
    }

    /** msgpack allows any string format for any length; old producers use str8/16/32 for short keys too. */
    @Test
    void keysAndValuesInEveryStringFormatDecodeAlike() {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.write(0x84); // a map of four
        str(b, 0xd9, "type");
        str(b, 0xda, "memory.access");
        str(b, 0xdb, "memory_id");
        str(b, 0xa0, "m-1");
        str(b, 0xd9, "context_id");
        str(b, 0xdb, "küche");
        str(b, 0xda, "x-unknown");
        str(b, 0xd9, "ignored");
        DecodeResult r = codec.decode(b.toByteArray(), "9-0", null);
        assertThat(r.isOk()).as(String.valueOf(r)).isTrue();
        assertThat(r.event().type).isEqualTo(EventType.MEMORY_ACCESS);
        assertThat(r.event().memoryId).isEqualTo("m-1");
        assertThat(r.event().contextId).isEqualTo("küche");

        byte[] whole = b.toByteArray();
        // A str16 header cut after its first length byte, and a str32 that declares more than is left.
        byte[] cut = java.util.Arrays.copyOf(whole, 1 + 2 + 4 + 2);
        assertThat(codec.decode(cut, "9-1", null).error().reason()).isEqualTo(DecodeError.Reason.MALFORMED);
        byte[] lying = java.util.Arrays.copyOf(whole, whole.length);
        int at = 1 + 2 + 4 + 3 + 13; // the str32 header of "memory_id"
        assertThat(lying[at] & 0xFF).isEqualTo(0xdb);
        lying[at + 1] = 0x7f;
        DecodeResult bad = codec.decode(lying, "9-2", null);
        assertThat(bad.error().reason()).isEqualTo(DecodeError.Reason.MALFORMED);
        assertThat(bad.error().detail()).contains("declares " + (0x7f000009L) + " bytes");
    }

    private static void str(java.io.ByteArrayOutputStream b, int format, String s) {
        byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int n = utf8.length;
        if (format == 0xa0) {
            b.write(0xa0 | n);
        } else if (format == 0xd9) {
            b.write(0xd9);
            b.write(n);
        } else if (format == 0xda) {
            b.write(0xda);
            b.write(n >>> 8);
            b.write(n);
        } else {
            b.write(0xdb);
            b.write(n >>> 24);
            b.write(n >>> 16);
            b.write(n >>> 8);
            b.write(n);
        }
        b.write(utf8, 0, n);
    }
}
