package io.mnemocore.operators.redis.source.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.redis.RedisConnectionConfig;
import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import io.mnemocore.operators.redis.source.split.RedisStreamSplit;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.connector.base.source.reader.RecordsWithSplitIds;
import org.apache.flink.connector.base.source.reader.splitreader.SplitsAddition;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.StreamPendingSummary;

/** The split reader against a real redis-server: recovery of pending entries, and Redis outages. */
class RedisStreamSplitReaderITCase {
    static final String STREAM = "haim:subconscious";
    static final String GROUP = "g";

    static RedisSourceOptions options(RedisServer r) {
        return new RedisSourceOptions(new RedisConnectionConfig(r.url(), 4, 2000), List.of(STREAM), null, GROUP,
                "flink", 1, 100, 50, 1000, -1, null);
    }


    static List<RedisStreamEntry> fetchAll(RedisStreamSplitReader reader, int rounds) {
        List<RedisStreamEntry> out = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            RecordsWithSplitIds<RedisStreamEntry> r = reader.fetch();
            while (r.nextSplit() != null) {
                RedisStreamEntry e;
                while ((e = r.nextRecordFromSplit()) != null) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    @Test
    void restoredSplitSkipsWhatStateHasAndRedeliversTheRest(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            RedisStreams.ensureGroup(c, STREAM, GROUP);
            for (int i = 0; i < 10; i++) {
                c.xadd(STREAM.getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("e" + i).getBytes()));
            }
            // A previous run of consumer flink-0 read all 10 but acknowledged none, and its last
            // checkpoint covered the first 6.
            List<RedisStreams.Entry> delivered = RedisStreams.readGroup(c, GROUP, "flink-0", STREAM, ">", 100, 0);
            assertThat(delivered).hasSize(10);
            String sixth = delivered.get(5).id;

            RedisStreamSplitReader reader = new RedisStreamSplitReader(options(redis),
                    UnregisteredMetricsGroup.createSourceReaderMetricGroup(),
                    QueryPathPriority.NORMAL);
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(
                    new RedisStreamSplit(STREAM, null, "flink-0", sixth, 6))));
            c.xadd(STREAM.getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), "new".getBytes()));

            List<RedisStreamEntry> got = fetchAll(reader, 5);
            assertThat(got).extracting(e -> new String(e.data, StandardCharsets.UTF_8))
                    .containsExactly("e6", "e7", "e8", "e9", "new");
            assertThat(got.subList(0, 4)).allMatch(e -> e.redelivered);
            assertThat(got.get(4).redelivered).isFalse();
            // The six already in state were acknowledged; the five emitted wait for a checkpoint.
            StreamPendingSummary pending = c.xpending(STREAM, GROUP);
            assertThat(pending.getTotal()).isEqualTo(5);
            reader.close();
        }
    }

    @Test
    void redisOutageIsRetriedWithoutLosingEntries(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, true); JedisPooled c = redis.client()) {
            RedisStreams.ensureGroup(c, STREAM, GROUP);
            for (int i = 0; i < 5; i++) {
                c.xadd(STREAM.getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("a" + i).getBytes()));
            }
            var metrics = UnregisteredMetricsGroup.createSourceReaderMetricGroup();
            RedisStreamSplitReader reader = new RedisStreamSplitReader(options(redis), metrics, QueryPathPriority.NORMAL);
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(RedisStreamSplit.fresh(STREAM, null, "flink-0"))));
            List<RedisStreamEntry> got = new ArrayList<>(fetchAll(reader, 3));
            assertThat(got).hasSize(5);

            redis.stop();
            // Fetches during the outage return nothing and do not throw.
            assertThat(fetchAll(reader, 3)).isEmpty();
            redis.startProcess();
            try (JedisPooled c2 = redis.client()) {
                for (int i = 0; i < 5; i++) {
                    c2.xadd(STREAM.getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("b" + i).getBytes()));
                }
            }
            long deadline = System.currentTimeMillis() + 20_000;
            while (got.size() < 10 && System.currentTimeMillis() < deadline) {
                got.addAll(fetchAll(reader, 1));
            }
            assertThat(got).extracting(e -> new String(e.data, StandardCharsets.UTF_8))
                    .containsExactly("a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4");
            reader.close();
        }
    }

    /** One reader with a reading split and a claimer (parallelism 1): an idle claimer takes no fetch. */
    @Test
    void anIdleClaimerDoesNotDelayTheReadingSplitOnTheSameReader(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig(redis.url(), 4, 2000), List.of(STREAM),
                    null, GROUP, "flink", 1, 100, 50, 1000, -1, null, 100, 600_000);
            RedisStreamSplitReader reader = new RedisStreamSplitReader(o, UnregisteredMetricsGroup.createSourceReaderMetricGroup(),
                    QueryPathPriority.NORMAL);
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(RedisStreamSplit.fresh(STREAM, null, "flink-0"),
                    RedisStreamSplit.freshClaimer(STREAM, null, o.claimerConsumer()))));
            // Both splits create the group and recover (nothing pending); the claimer then looks
            // for foreign pending entries once and is not due again for ten minutes.
            assertThat(fetchAll(reader, 6)).isEmpty();
            for (int i = 0; i < 6; i++) {
                c.xadd(STREAM.getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("q" + i).getBytes()));
                // Every fetch now goes to the reading split: before, every other one was the
                // claimer's, which slept 100 ms and returned nothing.
                assertThat(fetchAll(reader, 1)).as("fetch %d", i).extracting(e -> new String(e.data, StandardCharsets.UTF_8))
                        .containsExactly("q" + i);
            }
            reader.close();
        }
    }

    /**
     * Per-tenant streams on one reader share a consumer name, so one blocking read covers them all.
     * Before, the reader blocked on each stream in turn for block_ms/n, and an entry on another
     * stream waited for those turns.
     */
    @Test
    void oneFetchReadsEveryTenantStreamOfTheReader(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            String prefix = STREAM + ":";
            List<String> tenants = List.of("a", "b", "c");
            RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig(redis.url(), 4, 5000), List.of(),
                    prefix, GROUP, "flink", 1, 100, 3000, 1000, -1, null);
            RedisStreamSplitReader reader = new RedisStreamSplitReader(o, UnregisteredMetricsGroup.createSourceReaderMetricGroup(),
                    QueryPathPriority.NORMAL);
            List<RedisStreamSplit> splits = new ArrayList<>();
            for (String t : tenants) {
                splits.add(RedisStreamSplit.fresh(prefix + t, t, "flink-0"));
            }
            reader.handleSplitsChanges(new SplitsAddition<>(splits));
            assertThat(fetchAll(reader, tenants.size())).isEmpty(); // each split creates its group and recovers
            List<String> order = List.of("c", "c", "a", "b", "b", "a"); // not the reader's round-robin order
            for (int i = 0; i < order.size(); i++) {
                String tenant = order.get(i);
                c.xadd((prefix + tenant).getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("t" + i).getBytes()));
                assertThat(fetchAll(reader, 1)).as("fetch %d", i)
                        .extracting(e -> e.tenant + ":" + new String(e.data, StandardCharsets.UTF_8))
                        .containsExactly(tenant + ":t" + i);
            }
            for (String t : tenants) {
                c.xadd((prefix + t).getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("all-" + t).getBytes()));
            }
            assertThat(fetchAll(reader, 1)).extracting(e -> e.streamKey + " " + new String(e.data, StandardCharsets.UTF_8))
                    .containsExactlyInAnyOrder(prefix + "a all-a", prefix + "b all-b", prefix + "c all-c");
            reader.close();
        }
    }

    /** One stream of a shared read loses its group (Redis restarted without it): it is recreated, and the others keep reading. */
    @Test
    void aTenantStreamThatLosesItsGroupIsRecreatedWithoutStoppingTheOthers(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            String prefix = STREAM + ":";
            RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig(redis.url(), 4, 5000), List.of(),
                    prefix, GROUP, "flink", 1, 100, 300, 1000, -1, null);
            RedisStreamSplitReader reader = new RedisStreamSplitReader(o, UnregisteredMetricsGroup.createSourceReaderMetricGroup(),
                    QueryPathPriority.NORMAL);
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(RedisStreamSplit.fresh(prefix + "a", "a", "flink-0"),
                    RedisStreamSplit.fresh(prefix + "b", "b", "flink-0"))));
            assertThat(fetchAll(reader, 2)).isEmpty();
            c.xgroupDestroy(prefix + "b", GROUP);
            c.xadd((prefix + "a").getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), "a1".getBytes()));
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 10 && got.size() < 2; i++) {
                if (i == 5) { // by now the group of b is back
                    c.xadd((prefix + "b").getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), "b1".getBytes()));
                }
                fetchAll(reader, 1).forEach(e -> got.add(new String(e.data, StandardCharsets.UTF_8)));
            }
            assertThat(got).containsExactlyInAnyOrder("a1", "b1");
            assertThat(c.xinfoGroups(prefix + "b")).extracting(g -> g.getName()).containsExactly(GROUP);
            reader.close();
        }
    }

    @Test
    void entriesLeftByAForeignConsumerAreClaimedOnceAndOwnOnesNever(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            RedisStreams.ensureGroup(c, STREAM, GROUP);
            for (int i = 0; i < 8; i++) {
                c.xadd(STREAM.getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("e" + i).getBytes()));
            }
            // An external worker read five entries and died; this job's flink-0 read three and is just slow.
            List<RedisStreams.Entry> foreign = RedisStreams.readGroup(c, GROUP, "python-worker-1", STREAM, ">", 5, 0);
            RedisStreams.readGroup(c, GROUP, "flink-0", STREAM, ">", 3, 0);
            Thread.sleep(150);

            RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig(redis.url(), 4, 2000), List.of(STREAM),
                    null, GROUP, "flink", 1, 100, 50, 1000, -1, null, 100, 50);
            RedisStreamSplitReader reader = new RedisStreamSplitReader(o, UnregisteredMetricsGroup.createSourceReaderMetricGroup(),
                    QueryPathPriority.NORMAL);
            reader.handleSplitsChanges(new SplitsAddition<>(List.of(RedisStreamSplit.freshClaimer(STREAM, null, o.claimerConsumer()))));
            List<RedisStreamEntry> got = fetchAll(reader, 6);
            assertThat(got).extracting(e -> new String(e.data, StandardCharsets.UTF_8)).containsExactly("e0", "e1", "e2", "e3", "e4");
            assertThat(RedisStreams.pendingConsumers(c, STREAM, GROUP)).containsEntry("flink-claim", 5L).containsEntry("flink-0", 3L)
                    .doesNotContainKey("python-worker-1");
            reader.close();

            // Restored claimer whose checkpoint held e0..e2: only e3 and e4 come again.
            java.util.TreeSet<String> inState = new java.util.TreeSet<>(List.of(foreign.get(0).id, foreign.get(1).id, foreign.get(2).id));
            RedisStreamSplitReader restored = new RedisStreamSplitReader(o, UnregisteredMetricsGroup.createSourceReaderMetricGroup(),
                    QueryPathPriority.NORMAL);
            restored.handleSplitsChanges(new SplitsAddition<>(List.of(
                    new RedisStreamSplit(STREAM, null, o.claimerConsumer(), "0-0", 3, true, inState))));
            List<RedisStreamEntry> again = fetchAll(restored, 6);
            assertThat(again).extracting(e -> new String(e.data, StandardCharsets.UTF_8)).containsExactly("e3", "e4");
            assertThat(RedisStreams.pendingConsumers(c, STREAM, GROUP)).containsEntry("flink-claim", 2L);
            restored.close();
        }
    }
}
