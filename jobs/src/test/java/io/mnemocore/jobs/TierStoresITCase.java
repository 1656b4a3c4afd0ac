package io.mnemocore.jobs;

import static io.mnemocore.jobs.JobTestSupport.await;
import static io.mnemocore.jobs.JobTestSupport.read;
import static io.mnemocore.jobs.JobTestSupport.send;
import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.tier.ArchiveReader;
import io.mnemocore.operators.tier.ArchivedMemory;
import io.mnemocore.operators.tier.EmbeddedWarmStore;
import io.mnemocore.testing.RedisServer;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * The tier stores end to end: memories written WARM land in the embedded WARM store, are archived
 * to COLD through the FileSinks (local directory, and S3 through S3Proxy and flink-s3-fs-hadoop),
 * every archived vector and id reads back, an access rehydrates, a delete leaves a tombstone, and a
 * corrupt archive gives a DLQ entry instead of a vector.
 */
class TierStoresITCase {
    static final String BUS = "haim:subconscious";
    static final int D = 16384;
    // A day of LTP time every 0.25 s: the archive age (30 days) passes in 7.5 s.
    static final String FAST = "haim.ltp.time_scale=345600";

    static List<Map<String, String>> kinds(JedisPooled c, String kind) {
        return read(c, "haim:transitions").stream().filter(m -> kind.equals(m.get("kind"))).collect(Collectors.toList());
    }

    static void write(JedisPooled c, String tenant, String id, long seed) {
        send(c, BUS, packb(dict("type", "memory.write", "tenant", tenant, "memory_id", id, "hdv", Hdv.random(D, seed).toPacked(),
                "context_id", "ctx-" + seed % 3, "ltp_strength", 0.5, "payload", dict("n", seed))));
    }

    @Test
    void warmThenColdOnDiskThenBackOnAccess(@TempDir Path dir) throws Exception {
        Path warm = dir.resolve("warm"), archive = dir.resolve("archive");
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis, FAST, "haim.tiers.warm.path=" + warm, "haim.tiers.cold.path=" + archive,
                    "haim.tiers.cold.rows_per_file=16");
            JobClient job = JobTestSupport.start(s, 2);
            try (EmbeddedWarmStore store = EmbeddedWarmStore.open(warm, D)) {
                for (int i = 0; i < 40; i++) {
                    write(c, "t1", "m" + i, i);
                }
                for (int i = 0; i < 5; i++) {
                    write(c, "t2", "m" + i, 1000 + i);
                }
                await("all 45 in the WARM store", 30_000, () -> store.count("t1") == 40 && store.count("t2") == 5);
                assertThat(store.get("t1", "m7").hdv).isEqualTo(Hdv.random(D, 7).words());
                assertThat(store.search("t2", Hdv.random(D, 1003).words(), 1).get(0).point.memoryId).isEqualTo("m3");

                ArchiveReader reader = new ArchiveReader(archive.toUri().toString(), D);
                await("all archived, committed, and gone from WARM", 60_000, () -> {
                    try {
                        return reader.scan("t1", null, null, e -> { }).size() == 40 && reader.scan("t2", null, null, e -> { }).size() == 5
                                && store.count("t1") == 0 && store.count("t2") == 0;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                List<String> errors = new ArrayList<>();
                List<ArchivedMemory> t1 = reader.scan("t1", null, null, errors::add);
                assertThat(errors).isEmpty();
                for (ArchivedMemory m : t1) {
                    long seed = Long.parseLong(m.memoryId.substring(1));
                    assertThat(m.hdv).as(m.memoryId).isEqualTo(Hdv.random(D, seed).words());
                    assertThat(m.contextId).isEqualTo("ctx-" + seed % 3);
                    assertThat(m.payload).isEqualTo(packb(dict("n", seed)));
                    assertThat(m.strength).isLessThan(0.3);
                }
                // At most 16 rows per file, so 40 memories span several batches (and both subtasks).
                assertThat(t1.stream().map(m -> m.location.split("/")[1]).distinct().count()).isGreaterThanOrEqualTo(3);

                // An access brings m5 back from its archive to WARM, with its vector.
                send(c, BUS, packb(dict("type", "memory.access", "tenant", "t1", "memory_id", "m5")));
                await("m5 rehydrated", 30_000, () -> kinds(c, "cold_to_warm").stream().anyMatch(m -> "m5".equals(m.get("memory_id"))));
                await("m5 back in the WARM store", 10_000, () -> store.get("t1", "m5") != null);
                assertThat(store.get("t1", "m5").hdv).isEqualTo(Hdv.random(D, 5).words());

                // Deleting a COLD memory leaves its archive row, and a tombstone that hides it from rehydration.
                send(c, BUS, packb(dict("type", "memory.delete", "tenant", "t1", "memory_id", "m6")));
                await("tombstone committed", 30_000, () -> {
                    try {
                        return reader.scan("t1", null, null, e -> { }).stream().noneMatch(m -> m.memoryId.equals("m6"));
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });

                // A flipped byte in m9's row: its access yields a DLQ entry, never a wrong vector.
                ArchivedMemory m9 = t1.stream().filter(m -> m.memoryId.equals("m9")).findFirst().orElseThrow();
                String[] loc = m9.location.split("/");
                Path batch = archive.resolve("t1").resolve(loc[0]).resolve(loc[1]);
                Path npy;
                try (var files = Files.list(batch)) {
                    npy = files.filter(p -> p.toString().endsWith(".npy")).findFirst().orElseThrow();
                }
                try (RandomAccessFile f = new RandomAccessFile(npy.toFile(), "rw")) {
                    long off = 128 + Long.parseLong(loc[2]) * (D / 8) + 100;
                    f.seek(off);
                    int b = f.read();
                    f.seek(off);
                    f.write(b ^ 1);
                }
                send(c, BUS, packb(dict("type", "memory.access", "tenant", "t1", "memory_id", "m9")));
                await("corrupt archive reported", 30_000, () -> read(c, "haim:dlq").stream().anyMatch(m -> "archive_corrupt".equals(m.get("reason"))));
                Map<String, String> dlq = read(c, "haim:dlq").stream().filter(m -> "archive_corrupt".equals(m.get("reason"))).findFirst().orElseThrow();
                assertThat(dlq.get("detail")).contains("m9").contains("checksum");
                assertThat(kinds(c, "cold_to_warm")).noneMatch(m -> "m9".equals(m.get("memory_id")));
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void archivesToS3ThroughS3ProxyAndRehydratesFromThere(@TempDir Path dir) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.start(dir.resolve("blobs"), "archive");
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            String endpoint = s3.endpoint();
            JobSettings s = JobTestSupport.settings(redis, FAST, "haim.tiers.cold.storage_backend=s3",
                    "haim.tiers.cold.path=s3a://archive/cold", "haim.tiers.cold.s3_endpoint=" + endpoint,
                    "haim.tiers.cold.s3_access_key=" + S3ProxyServer.ACCESS, "haim.tiers.cold.s3_secret_key=" + S3ProxyServer.SECRET);
            Configuration conf = new Configuration();
            s.s3Options().forEach(conf::setString);
            conf.setString("io.tmp.dirs", dir.resolve("tmp").toString());
            conf.setString("fs.s3a.buffer.dir", dir.resolve("s3a-buffer").toString());
            FileSystem.initialize(conf, null);
            JobClient job = JobTestSupport.start(s, 2, null, conf);
            try {
                for (int i = 0; i < 20; i++) {
                    write(c, "t1", "m" + i, 7000 + i);
                }
                ArchiveReader reader = new ArchiveReader("s3a://archive/cold", D);
                await("20 archived in S3", 90_000, () -> {
                    try {
                        return reader.scan("t1", null, null, e -> { }).size() == 20;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                for (ArchivedMemory m : reader.scan("t1", null, null, e -> { })) {
                    assertThat(m.hdv).isEqualTo(Hdv.random(D, 7000 + Long.parseLong(m.memoryId.substring(1))).words());
                }
                // The objects are really in the blob store behind the S3 API.
                try (var walk = Files.walk(dir.resolve("blobs/archive"))) {
                    assertThat(walk.filter(p -> p.toString().endsWith(".npy")).count()).isGreaterThanOrEqualTo(1);
                }
                send(c, BUS, packb(dict("type", "memory.access", "tenant", "t1", "memory_id", "m3")));
                await("m3 rehydrated from S3", 30_000, () -> kinds(c, "cold_to_warm").stream().anyMatch(m -> "m3".equals(m.get("memory_id"))));
                assertThat(read(c, "haim:dlq")).isEmpty();
            } finally {
                job.cancel().get();
                s3.close();
                FileSystem.initialize(new Configuration(), null);
            }
        }
    }

    @Test
    void aQdrantOutageLosesNoWarmPoint(@TempDir Path dir) throws Exception {
        // Qdrant here is the in-process STAND-IN (QdrantStandIn), reached through the real client.
        io.mnemocore.operators.tier.QdrantStandIn q = new io.mnemocore.operators.tier.QdrantStandIn(RedisServer.freePort(), "key");
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis, "haim.qdrant.url=http://127.0.0.1:" + q.port(), "haim.qdrant.api_key=key",
                    "haim.qdrant.timeout_ms=500", "haim.qdrant.retries=1", "haim.qdrant.breaker_reset_s=0.5");
            Configuration conf = new Configuration();
            conf.setString("restart-strategy.type", "fixed-delay");
            conf.setString("restart-strategy.fixed-delay.attempts", "1000");
            conf.setString("restart-strategy.fixed-delay.delay", "200 ms");
            JobClient job = JobTestSupport.start(s, 2, null, conf);
            try {
                for (int i = 0; i < 30; i++) {
                    write(c, "t1", "m" + i, i);
                }
                final io.mnemocore.operators.tier.QdrantStandIn first = q;
                await("30 points in Qdrant", 30_000, () -> first.points("haim_warm", "t1").size() == 30);
                q.close(); // Qdrant goes away
                for (int i = 30; i < 60; i++) {
                    write(c, "t1", "m" + i, i);
                }
                send(c, BUS, packb(dict("type", "memory.delete", "tenant", "t1", "memory_id", "m0")));
                Thread.sleep(3_000); // the sink fails, the job restarts, fails again...
                q = q.restart();
                final io.mnemocore.operators.tier.QdrantStandIn back = q;
                await("every write since the outage in Qdrant, the delete applied", 60_000, () -> {
                    Map<String, long[]> pts = back.points("haim_warm", "t1");
                    return pts.size() == 59 && !pts.containsKey("m0");
                });
                for (Map.Entry<String, long[]> e : q.points("haim_warm", "t1").entrySet()) {
                    assertThat(e.getValue()).as(e.getKey()).isEqualTo(Hdv.random(D, Long.parseLong(e.getKey().substring(1))).words());
                }
            } finally {
                job.cancel().get();
                q.close();
            }
        }
    }

    @Test
    void rehydrateRestoresAnArchiveIntoAFreshJobAndHonoursTombstones(@TempDir Path dir) throws Exception {
        Path warm = dir.resolve("warm"), archive = dir.resolve("archive");
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            String[] common = {FAST, "haim.tiers.warm.path=" + warm, "haim.tiers.cold.path=" + archive};
            JobSettings s = JobTestSupport.settings(redis, common);
            JobClient job = JobTestSupport.start(s, 2);
            ArchiveReader reader = new ArchiveReader(archive.toUri().toString(), D);
            try {
                for (int i = 0; i < 25; i++) {
                    write(c, "t1", "m" + i, 300 + i);
                }
                await("25 archived", 60_000, () -> {
                    try {
                        return reader.scan("t1", null, null, e -> { }).size() == 25;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                send(c, BUS, packb(dict("type", "memory.delete", "tenant", "t1", "memory_id", "m4")));
                await("tombstone committed", 30_000, () -> {
                    try {
                        return reader.scan("t1", null, null, e -> { }).size() == 24;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
            } finally {
                job.cancel().get();
            }
            // The state is lost (a new job on a new stream, nothing restored); the archive remains.
            String stream2 = "haim:fresh";
            JobSettings s2 = JobTestSupport.settings(redis, common[0], common[1], common[2], "haim.redis.stream_key=" + stream2,
                    "haim.ltp.time_scale=1");
            JobClient job2 = JobTestSupport.start(s2, 2);
            try (EmbeddedWarmStore store = EmbeddedWarmStore.open(warm, D)) {
                List<String> args = new ArrayList<>(List.of("--tenant", "t1"));
                for (String kv : JobTestSupport.sets(redis.url(), common[1], common[2], "haim.redis.stream_key=" + stream2)) {
                    args.add("--set");
                    args.add(kv);
                }
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                java.io.PrintStream old = System.out;
                System.setOut(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
                try {
                    Rehydrate.main(args.toArray(new String[0]));
                } finally {
                    System.setOut(old);
                }
                assertThat(out.toString(StandardCharsets.UTF_8)).contains("sent 24 memories");
                await("24 memories back in WARM", 30_000, () -> store.count("t1") == 24);
                assertThat(store.get("t1", "m4")).as("deleted: its tombstone is honoured").isNull();
                for (int i = 0; i < 25; i++) {
                    if (i != 4) {
                        assertThat(store.get("t1", "m" + i).hdv).isEqualTo(Hdv.random(D, 300 + i).words());
                        assertThat(store.get("t1", "m" + i).payload).isEqualTo(packb(dict("n", (long) (300 + i))));
                    }
                }
            } finally {
                job2.cancel().get();
            }
        }
    }
}
