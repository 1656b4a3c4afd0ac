package io.mnemocore.jobs;

import static io.mnemocore.jobs.FaultToleranceITCase.drained;
import static io.mnemocore.jobs.FaultToleranceITCase.drainedThrough;
import static io.mnemocore.jobs.FaultToleranceITCase.entriesRead;
import static io.mnemocore.jobs.JobTestSupport.await;
import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.testing.RedisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * State migration guard. {@code src/test/resources/savepoints/v1} is a savepoint the job wrote
 * (memories in every tier, two tenants, text and vector writes, payloads, a rewrite, a delete),
 * with {@code memories.tsv}: every field of every memory, as the State Processor API read it then.
 * The current code must read that savepoint to the same state, and the current job graph must
 * restore it (no operator dropped: allowNonRestoredState is off) and go on from it. A change to a
 * state serializer, a state name or an operator uid that would break users' savepoints fails here.
 *
 * <p>Regenerate (only on purpose, for a new state version, keeping the old one beside it):
 * {@code mvn -pl jobs verify -Dit.test=SavepointCompatibilityITCase -Dmnemocore.regenerate=true}
 */
class SavepointCompatibilityITCase {
    static final Path FIXTURE = Path.of("src", "test", "resources", "savepoints", "v1");
    /** 2100-01-01: the restored LTP timers lie in the future, so the state cannot age while tests run. */
    static final long T0 = 4_102_444_800_000L;

    static List<byte[]> fixtureEvents() {
        List<byte[]> ev = new ArrayList<>();
        long t = T0;
        for (int i = 0; i < 40; i++) {
            String tenant = i % 4 == 3 ? "acme" : "default";
            if (i % 3 == 0) {
                ev.add(packb(dict("type", "memory.write", "tenant", tenant, "memory_id", "m" + i,
                        "text", "memory number " + i + " about the migration test", "context_id", "ctx" + (i % 5),
                        "ltp_strength", 0.55 + 0.01 * i, "timestamp", t++)));
            } else {
                ev.add(packb(dict("type", "memory.write", "tenant", tenant, "memory_id", "m" + i,
                        "hdv", Hdv.random(16384, i).toPacked(), "payload", dict("n", i, "tag", "v1"),
                        "ltp_strength", 0.55 + 0.01 * i, "timestamp", t++)));
            }
        }
        for (int i = 0; i < 40; i += 2) {
            ev.add(packb(dict("type", "memory.access", "tenant", i % 4 == 3 ? "acme" : "default", "memory_id", "m" + i,
                    "access_count", 1 + i % 3, "timestamp", t++)));
        }
        ev.add(packb(dict("type", "consolidation.trigger", "tier", "hot_to_warm",
                "memory_ids", List.of("m1", "m2", "m4", "m5", "m6", "m8", "m9", "m10"), "timestamp", t++)));
        ev.add(packb(dict("type", "consolidation.trigger", "tier", "warm_to_cold",
                "memory_ids", List.of("m1", "m2", "m4", "m5"), "timestamp", t++)));
        ev.add(packb(dict("type", "memory.write", "memory_id", "m12", "text", "m12, written again", "timestamp", t++)));
        ev.add(packb(dict("type", "memory.delete", "memory_id", "m13", "timestamp", t++)));
        return ev;
    }

    static JobSettings settings(RedisServer redis) {
        return JobTestSupport.settings(redis, "haim.job.checkpoint_interval_ms=500");
    }

    static Map<String, String> expected() throws IOException {
        return memoriesTsv(FIXTURE);
    }

    static Map<String, String> memoriesTsv(Path fixture) throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (String line : Files.readAllLines(fixture.resolve("memories.tsv"))) {
            int tab = line.indexOf('\t');
            m.put(line.substring(0, tab), line.substring(tab + 1));
        }
        return m;
    }

    static String fixtureSavepoint() {
        return FIXTURE.resolve("savepoint").toAbsolutePath().toUri().toString();
    }

    static String runAndStop(RedisServer redis, String from, List<byte[]> events, Path target) throws Exception {
        JobClient job = JobTestSupport.start(settings(redis), 2, from);
        try (JedisPooled c = redis.client()) {
            // Not a count of entries read: the accesses fed back by the queries of the job before
            // may still be unread on the bus, and this job reads them too.
            String last = null;
            for (byte[] e : events) {
                last = JobTestSupport.send(c, "haim:subconscious", e);
            }
            String lastSent = last;
            JobTestSupport.awaitOr(() -> "events applied (read through " + lastSent + " and acknowledged; "
                            + FaultToleranceITCase.progress(c, "haim:subconscious", job) + ")", 120_000,
                    () -> drainedThrough(c, "haim:subconscious", "consolidation_workers", lastSent));
            assertThat(JobTestSupport.read(c, "haim:dlq")).as("DLQ").isEmpty();
        }
        return job.stopWithSavepoint(false, target.toUri().toString(), SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
    }

    @Test
    void checkedInSavepointReadsBackToTheSameState() throws Exception {
        Map<String, String> state = new TreeMap<>(SavepointInspector.memoriesInFull(fixtureSavepoint()));
        assertThat(state).hasSize(39).isEqualTo(expected());
        assertThat(state.values()).anyMatch(v -> v.startsWith("HOT")).anyMatch(v -> v.startsWith("WARM"))
                .anyMatch(v -> v.startsWith("COLD"));
    }

    @Test
    void currentJobRestoresTheCheckedInSavepointAndGoesOn(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false)) {
            byte[] access = packb(dict("type", "memory.access", "memory_id", "m0", "timestamp", T0 + 1_000_000));
            String sp = runAndStop(redis, fixtureSavepoint(), List.of(access), dir.resolve("sp"));
            Map<String, String> after = SavepointInspector.memoriesInFull(sp);
            Map<String, String> before = expected();
            assertThat(after.keySet()).isEqualTo(before.keySet());
            for (String k : before.keySet()) {
                if (!k.equals("default/m0")) {
                    assertThat(after.get(k)).as(k).isEqualTo(before.get(k));
                }
            }
            assertThat(accessCount(after.get("default/m0"))).isEqualTo(accessCount(before.get("default/m0")) + 1);
        }
    }

    /**
     * {@code savepoints/hot-leaving}: the fixture's events run by commit 9c90059, whose HOT store
     * kept a memory that left HOT in the HOT index for a timed grace (the since removed
     * {@code haim.tiers.hot.leave_grace_ms}, set to 600 s), stopped with a savepoint while the eight
     * memories of the hot_to_warm trigger were within it: their processing-time timers
     * ({@code hot-leaving}) are in the savepoint. The current job restores it (allowNonRestoredState
     * off), keeps those memories out of the HOT index (the store had already let them go), keeps
     * every memory in its tier, and restores from its own savepoint, the old timers included.
     */
    @Test
    void aSavepointTakenWhileMemoriesWaitedOutTheOldHotGraceRestores(@TempDir Path dir) throws Exception {
        Path fixture = Path.of("src", "test", "resources", "savepoints", "hot-leaving");
        Map<String, String> before = memoriesTsv(fixture);
        assertThat(tier(before.get("default/m8"))).isEqualTo("WARM");
        assertThat(tier(before.get("default/m10"))).isEqualTo("WARM");
        assertThat(tier(before.get("default/m14"))).isEqualTo("HOT");
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false)) {
            JobClient job = JobTestSupport.start(settings(redis), 2, fixture.resolve("savepoint").toAbsolutePath().toUri().toString());
            // One event applied and acknowledged at a checkpoint: every task runs, so the job can be stopped later.
            byte[] access = packb(dict("type", "memory.access", "memory_id", "m16", "timestamp", T0 + 1_000_000));
            try (JedisPooled c = redis.client()) {
                JobTestSupport.send(c, "haim:subconscious", access);
                await("event applied", 120_000, () -> entriesRead(c, "haim:subconscious") == 1
                        && drained(c, "haim:subconscious", "consolidation_workers"));
            }
            try (io.mnemocore.client.MnemoClient client = new io.mnemocore.client.MnemoClient(redis.url(),
                    "haim:subconscious", "haim:queries", 16384, "127.0.0.1", 0)) {
                var hot = client.query("default", null, Hdv.random(16384, 14).words(), null, 1, java.time.Duration.ofSeconds(60));
                assertThat(hot.hits).extracting(h -> h.memoryId + "/" + h.tier).containsExactly("m14/hot");
                for (int i : new int[] {8, 10}) {
                    var r = client.query("default", null, Hdv.random(16384, i).words(), null, 1, java.time.Duration.ofSeconds(60));
                    assertThat(r.hits).as("m" + i).noneMatch(h -> h.memoryId.equals("m" + i) && h.tier.equals("hot"));
                }
            }
            String sp = job.stopWithSavepoint(false, dir.resolve("sp").toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(120, TimeUnit.SECONDS);
            Map<String, String> after = SavepointInspector.memoriesInFull(sp);
            assertThat(after.keySet()).isEqualTo(before.keySet());
            for (String k : before.keySet()) {
                assertThat(tier(after.get(k))).as(k).isEqualTo(tier(before.get(k)));
            }
            String again = runAndStop(redis, sp, List.of(access), dir.resolve("sp2"));
            assertThat(SavepointInspector.memoriesInFull(again).keySet()).isEqualTo(before.keySet());
        }
    }

    private static String tier(String full) {
        return full.substring(0, full.indexOf('|'));
    }

    private static int accessCount(String full) {
        String a = full.split("\\|")[1];
        return Integer.parseInt(a.substring("access=".length()));
    }

    @Test
    @EnabledIfSystemProperty(named = "mnemocore.regenerate", matches = "true")
    void regenerate(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false)) {
            String sp = runAndStop(redis, null, fixtureEvents(), dir.resolve("sp"));
            Path src = Path.of(java.net.URI.create(sp));
            Path target = FIXTURE.resolve("savepoint");
            if (Files.exists(target)) {
                try (Stream<Path> old = Files.walk(target)) {
                    old.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(src)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.copy(f, target.resolve(f.getFileName()));
                }
            }
            StringBuilder tsv = new StringBuilder();
            new TreeMap<>(SavepointInspector.memoriesInFull(fixtureSavepoint()))
                    .forEach((k, v) -> tsv.append(k).append('\t').append(v).append('\n'));
            Files.writeString(FIXTURE.resolve("memories.tsv"), tsv.toString());
        }
    }
}
