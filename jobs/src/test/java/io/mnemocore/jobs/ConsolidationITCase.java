package io.mnemocore.jobs;

import static io.mnemocore.jobs.JobTestSupport.await;
import static io.mnemocore.jobs.JobTestSupport.read;
import static io.mnemocore.jobs.JobTestSupport.send;
import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.XAddParams;

/** The whole job (MiniCluster, RocksDB-free heap state here) against a real redis-server. */
class ConsolidationITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    static final String BUS = "haim:subconscious";
    static final int D = 16384;

    static List<Map<String, String>> kinds(JedisPooled c, String kind) {
        return read(c, "haim:transitions").stream().filter(m -> kind.equals(m.get("kind"))).collect(Collectors.toList());
    }

    static boolean has(JedisPooled c, String kind, String memoryId) {
        return kinds(c, kind).stream().anyMatch(m -> memoryId.equals(m.get("memory_id")));
    }

    @Test
    void writeDecayTransitionReactivation(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            // A day of LTP time every 0.25 s: HOT->WARM after ~0.1 s, archive age (30 days) after 7.5 s.
            JobSettings s = JobTestSupport.settings(redis, "haim.ltp.time_scale=345600");
            JobClient job = JobTestSupport.start(s, 2);
            try {
                send(c, BUS, packb(dict("type", "memory.write", "memory_id", "m1", "hdv", Hdv.random(D, 1).toPacked(),
                        "context_id", "ctx", "ltp_strength", 0.9, "timestamp", System.currentTimeMillis())));
                send(c, BUS, packb(dict("type", "memory.write", "memory_id", "m2", "hdv", Hdv.random(D, 2).toUnpacked(),
                        "ltp_strength", 0.9)));
                await("both created", 30_000, () -> has(c, "created", "m1") && has(c, "created", "m2"));
                await("both decay to WARM while the stream is idle", 30_000,
                        () -> has(c, "hot_to_warm", "m1") && has(c, "hot_to_warm", "m2"));

                send(c, BUS, packb(dict("type", "memory.access", "memory_id", "m1", "access_count", 6)));
                await("m1 reactivated to HOT", 30_000, () -> has(c, "warm_to_hot", "m1"));

                await("m2 archived after 30 LTP days idle", 60_000, () -> has(c, "warm_to_cold", "m2"));
                Map<String, String> cold = kinds(c, "warm_to_cold").stream()
                        .filter(m -> m.get("memory_id").equals("m2")).findFirst().orElseThrow();
                assertThat(cold.get("reason")).isEqualTo("idle");
                assertThat(Double.parseDouble(cold.get("strength"))).isLessThan(0.3);

                send(c, BUS, packb(dict("type", "memory.access", "memory_id", "m2")));
                await("COLD reactivation requested", 30_000, () -> has(c, "cold_reactivation", "m2"));
                assertThat(c.xlen("haim:dlq")).isZero();
                // Each transition appears once in the log.
                List<Map<String, String>> log = read(c, "haim:transitions");
                Set<String> ids = new HashSet<>();
                for (Map<String, String> m : log) {
                    assertThat(ids.add(m.get("id"))).as("duplicate %s", m.get("id")).isTrue();
                }
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void seedFormatEventsInBothLayoutsAndDlqReasons(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis);
            JobClient job = JobTestSupport.start(s, 2);
            try {
                long ts = System.currentTimeMillis();
                // The blueprint's memory.write dict exactly: no memory_id, so it is derived from the entry id.
                String packedId = send(c, BUS, packb(dict("type", "memory.write", "hdv", Hdv.random(D, 5).toPacked(),
                        "context_id", "c1", "ltp_strength", 0.9, "timestamp", ts)));
                String unpackedId = send(c, BUS, packb(dict("type", "memory.write", "hdv", Hdv.random(D, 6).toUnpacked(),
                        "context_id", "c1", "ltp_strength", 0.5, "timestamp", ts)));
                String textId = send(c, BUS, packb(dict("type", "memory.write", "text", "the cat sat on the mat",
                        "tenant", "acme", "memory_id", "cat")));
                byte[] garbage = {(byte) 0xC1, 1, 2};
                String garbageId = send(c, BUS, garbage);
                send(c, BUS, packb(dict("type", "memory.write", "hdv", new byte[100])));
                send(c, BUS, packb(dict("type", "memory.write", "hdv", Hdv.random(D, 7).toPacked(), "ltp_strength", 3.0)));
                send(c, BUS, packb(dict("type", "memory.explode")));
                send(c, BUS, packb(dict("type", "memory.access", "memory_id", "nobody")));
                c.xadd(BUS.getBytes(), XAddParams.xAddParams(), Map.of("other".getBytes(), "x".getBytes()));

                await("three memories created", 30_000, () -> kinds(c, "created").size() == 3);
                await("six DLQ entries", 30_000, () -> c.xlen("haim:dlq") == 6);

                Map<String, Map<String, String>> created = kinds(c, "created").stream()
                        .collect(Collectors.toMap(m -> m.get("memory_id"), m -> m));
                assertThat(created.keySet()).containsExactlyInAnyOrder(packedId, unpackedId, "cat");
                assertThat(created.get(packedId).get("to")).isEqualTo("hot");
                assertThat(created.get(unpackedId).get("to")).isEqualTo("warm");
                assertThat(created.get("cat").get("tenant")).isEqualTo("acme");

                List<Map<String, String>> dlq = read(c, "haim:dlq");
                assertThat(dlq).extracting(m -> m.get("reason")).containsExactlyInAnyOrder(
                        "malformed", "bad_hdv_length", "bad_strength", "unknown_type", "unknown_memory", "missing_field");
                Map<String, String> bad = dlq.stream().filter(m -> m.get("reason").equals("malformed")).findFirst().orElseThrow();
                assertThat(bad.get("source_id")).isEqualTo(garbageId);
                assertThat(bad.get("source_stream")).isEqualTo(BUS);
                assertThat(bad.get("data").getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(garbage);
                assertThat(textId).isNotNull();
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void perTenantStreamsTakeTheTenantFromTheKey(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis, "haim.redis.tenant_streams=true", "haim.redis.discovery_interval_s=1");
            // The streams exist before the job starts; the enumerator discovers them by pattern.
            send(c, BUS + ":acme", packb(dict("type", "memory.write", "memory_id", "a1", "hdv", Hdv.random(D, 11).toPacked())));
            send(c, BUS + ":globex", packb(dict("type", "memory.write", "memory_id", "g1", "tenant", "globex",
                    "hdv", Hdv.random(D, 12).toPacked())));
            String spoof = send(c, BUS + ":acme", packb(dict("type", "memory.write", "memory_id", "x", "tenant", "globex",
                    "hdv", Hdv.random(D, 13).toPacked())));
            JobClient job = JobTestSupport.start(s, 2);
            try {
                await("two memories created", 30_000, () -> kinds(c, "created").size() == 2);
                await("the spoofed event in the DLQ", 30_000, () -> c.xlen("haim:dlq") == 1);
                assertThat(kinds(c, "created")).extracting(m -> m.get("tenant") + "/" + m.get("memory_id"))
                        .containsExactlyInAnyOrder("acme/a1", "globex/g1");
                Map<String, String> dlq = read(c, "haim:dlq").get(0);
                assertThat(dlq.get("reason")).isEqualTo("tenant_mismatch");
                assertThat(dlq.get("source_id")).isEqualTo(spoof);
                assertThat(dlq.get("source_stream")).isEqualTo(BUS + ":acme");
            } finally {
                job.cancel().get();
            }
        }
    }

    /** The query stream has its own source and decoder; what that decoder rejects reaches the DLQ too. */
    @Test
    void badEntriesOnTheQueryStreamReachTheDlqWithTheirReasons(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis);
            String queries = s.config.getString("haim.redis.query_stream");
            JobClient job = JobTestSupport.start(s, 2);
            try {
                byte[] garbage = {(byte) 0xC1, 7};
                String garbageId = send(c, queries, garbage);
                send(c, queries, packb(dict("type", "query", "tenant", "acme", "text", "no query id")));
                send(c, queries, packb(dict("type", "query", "tenant", "acme", "query_id", "q2", "hdv", new byte[7])));
                send(c, queries, packb(dict("type", "query", "tenant", "acme", "query_id", "q3")));
                send(c, queries, packb(dict("type", "query", "tenant", "not a tenant!", "query_id", "q4", "text", "x")));
                // A reply into the job's own bus would come back as a bad event.
                String bus = s.config.getString("haim.redis.stream_key");
                send(c, queries, packb(dict("type", "query", "tenant", "acme", "query_id", "q6", "text", "x", "reply_to", bus)));
                // A good query behind them is still answered.
                send(c, queries, packb(dict("type", "query", "tenant", "acme", "query_id", "q5", "text", "x", "reply_to", "r")));
                await("six DLQ entries", 30_000, () -> c.xlen("haim:dlq") == 6);
                await("the good query's reply", 30_000, () -> c.xlen("r") == 1);
                assertThat(c.xlen(bus)).isZero();
                List<Map<String, String>> dlq = read(c, "haim:dlq");
                assertThat(dlq).extracting(m -> m.get("source_stream")).containsOnly(queries);
                assertThat(dlq).extracting(m -> m.get("reason"))
                        .containsExactlyInAnyOrder("malformed", "missing_field", "bad_hdv_length", "missing_field", "bad_id", "reserved_reply_to");
                Map<String, String> bad = dlq.stream().filter(m -> m.get("reason").equals("malformed")).findFirst().orElseThrow();
                assertThat(bad.get("source_id")).isEqualTo(garbageId);
                assertThat(bad.get("data").getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(garbage);
            } finally {
                job.cancel().get();
            }
        }
    }

    /** With tenant streams, queries have per-tenant streams too: the key names the tenant, as on the bus. */
    @Test
    void perTenantQueryStreamsTakeTheTenantFromTheKey(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis, "haim.redis.tenant_streams=true", "haim.redis.discovery_interval_s=1");
            String queries = s.config.getString("haim.redis.query_stream");
            byte[] v = Hdv.random(D, 21).toPacked();
            send(c, BUS + ":acme", packb(dict("type", "memory.write", "memory_id", "a1", "hdv", v)));
            send(c, BUS + ":globex", packb(dict("type", "memory.write", "memory_id", "g1", "hdv", v)));
            JobClient job = JobTestSupport.start(s, 2);
            try {
                await("two memories created", 30_000, () -> kinds(c, "created").size() == 2);
                // Streams made after the start are discovered; answered with the key's tenant only.
                send(c, queries + ":acme", packb(dict("type", "query", "query_id", "qa", "hdv", v, "k", 5, "reply_to", "r:acme")));
                String spoof = send(c, queries + ":acme", packb(dict("type", "query", "tenant", "globex", "query_id", "qg",
                        "hdv", v, "k", 5, "reply_to", "r:acme")));
                // Replies stay in the tenant's streams: by default haim:replies:acme, never a shared or foreign one.
                send(c, queries + ":acme", packb(dict("type", "query", "query_id", "qd", "hdv", v, "k", 5)));
                String shared = send(c, queries + ":acme", packb(dict("type", "query", "query_id", "qs", "hdv", v, "k", 5,
                        "reply_to", "r")));
                // A reply into another tenant's stream of the bus would be read as that tenant's event.
                String intoGlobex = send(c, queries + ":acme", packb(dict("type", "query", "query_id", "qx", "hdv", v, "k", 5,
                        "reply_to", BUS + ":globex")));
                await("the acme query's reply", 30_000, () -> c.xlen("r:acme") >= 1);
                await("the default reply in acme's reply stream", 30_000, () -> c.xlen("haim:replies:acme") == 1);
                await("the spoofed query and the two misdirected ones in the DLQ", 30_000, () -> c.xlen("haim:dlq") == 3);
                assertThat(c.xlen(BUS + ":globex")).isEqualTo(1);
                assertThat(c.exists("r") || c.exists("haim:replies")).isFalse();
                List<Map<String, String>> replies = read(c, "r:acme");
                assertThat(replies).hasSize(1);
                assertThat(replies.get(0).get("query_id")).isEqualTo("qa");
                io.mnemocore.operators.query.QueryReply reply = io.mnemocore.operators.query.ReplyCodec.decode(
                        replies.get(0).get("data").getBytes(StandardCharsets.ISO_8859_1));
                assertThat(reply.tenant).isEqualTo("acme");
                assertThat(reply.hits).extracting(h -> h.memoryId).containsExactly("a1");
                // The Java client on acme's own streams gets its answer the same way.
                try (io.mnemocore.client.MnemoClient client = new io.mnemocore.client.MnemoClient(redis.url(), BUS + ":acme",
                        queries + ":acme", s.config.codecLimits(), "127.0.0.1", 1)) {
                    assertThat(client.query("acme", null, Hdv.fromPacked(v, D).words(), null, 1, java.time.Duration.ofSeconds(30)).hits)
                            .extracting(h -> h.memoryId).containsExactly("a1");
                }
                Map<String, Map<String, String>> dlq = new java.util.HashMap<>();
                read(c, "haim:dlq").forEach(m -> dlq.put(m.get("source_id"), m));
                assertThat(dlq.get(spoof).get("reason")).isEqualTo("tenant_mismatch");
                assertThat(dlq.get(spoof).get("source_stream")).isEqualTo(queries + ":acme");
                assertThat(dlq.get(shared).get("reason")).isEqualTo("tenant_mismatch");
                assertThat(dlq.get(shared).get("detail")).contains("'reply_to' r is not a stream of tenant 'acme'");
                assertThat(dlq.get(intoGlobex).get("reason")).isEqualTo("reserved_reply_to");
                assertThat(dlq.get(intoGlobex).get("detail")).contains(BUS + ":globex");
            } finally {
                job.cancel().get();
            }
        }
    }
}
