package io.mnemocore.operators.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.redis.sink.RedisStreamSink;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import io.mnemocore.operators.redis.source.RedisStreamSource;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

/** The source and sink in a real Flink MiniCluster against a real redis-server. */
class RedisStreamSourceITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void everyEntryOnceAcrossTwoConsumersAndAckedAfterCheckpoints(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            String last = null;
            for (int i = 0; i < 3000; i++) {
                last = new String(c.xadd("s".getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("e" + i).getBytes())));
            }
            RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig(redis.url(), 4, 2000), List.of("s"), null,
                    "g", "flink", 2, 200, 50, 1000, -1, last);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(200, CheckpointingMode.EXACTLY_ONCE);
            List<String> got = new ArrayList<>();
            try (CloseableIterator<RedisStreamEntry> it = env
                    .fromSource(new RedisStreamSource(o), WatermarkStrategy.noWatermarks(), "redis").uid("src")
                    .executeAndCollect("source-itcase")) {
                it.forEachRemaining(e -> got.add(new String(e.data, StandardCharsets.UTF_8)));
            }
            assertThat(got).hasSize(3000);
            Set<String> distinct = new HashSet<>(got);
            assertThat(distinct).hasSize(3000);
            // Both consumers took part.
            assertThat(c.xinfoConsumers("s", "g")).hasSize(2);
            // Acknowledged only via completed checkpoints: the final checkpoint leaves nothing pending.
            assertThat(c.xpending("s", "g").getTotal()).isZero();
        }
    }

    @Test
    void tenantStreamsAreDiscoveredAndTheTenantComesFromTheKey(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            for (String t : List.of("acme", "globex")) {
                for (int i = 0; i < 5; i++) {
                    c.xadd(("bus:" + t).getBytes(), XAddParams.xAddParams().id(new StreamEntryID(1000 + i, 0)),
                            Map.of("data".getBytes(), (t + i).getBytes()));
                }
            }
            c.xadd("bus".getBytes(), XAddParams.xAddParams().id(new StreamEntryID(1000, 0)), Map.of("data".getBytes(), "shared".getBytes()));
            RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig(redis.url(), 4, 2000), List.of("bus"), "bus:",
                    "g", "flink", 1, 100, 50, 1000, -1, "1000-0");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            List<String> got = new ArrayList<>();
            try (CloseableIterator<RedisStreamEntry> it = env
                    .fromSource(new RedisStreamSource(o), WatermarkStrategy.noWatermarks(), "redis").uid("src")
                    .executeAndCollect("discovery-itcase")) {
                it.forEachRemaining(e -> got.add(e.tenant + ":" + new String(e.data, StandardCharsets.UTF_8)));
            }
            // stopAtId 1000-0: each split stops at its first entry at or after it.
            assertThat(got).containsExactlyInAnyOrder("null:shared", "acme:acme0", "globex:globex0");
        }
    }

    static final class NumberEntries implements RedisStreamSink.EntrySerializer<Long> {
        @Override
        public String stream(Long v) {
            return "out";
        }

        @Override
        public List<byte[]> fields(Long v) {
            return List.of("n".getBytes(), Long.toString(v).getBytes());
        }
    }

    @Test
    void sinkWritesEntriesWithApproximateMaxlen(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            env.fromSequence(1, 500).sinkTo(new RedisStreamSink<>(new RedisConnectionConfig(redis.url(), 2, 2000), new NumberEntries(), 100_000, 64, 3))
                    .uid("sink");
            env.execute("sink-itcase");
            assertThat(c.xlen("out")).isEqualTo(500);
            // A second run against a small MAXLEN trims (approximately) to it.
            StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment();
            env2.setParallelism(1);
            env2.fromSequence(1, 2000).sinkTo(new RedisStreamSink<>(new RedisConnectionConfig(redis.url(), 2, 2000),
                    new NumberEntries(), 200, 64, 3)).uid("sink");
            env2.execute("sink-maxlen-itcase");
            assertThat(c.xlen("out")).isBetween(200L, 400L);
        }
    }

    /** Records alternate between three streams, as replies go to whichever stream their query named. */
    static final class StreamPerRemainder implements RedisStreamSink.EntrySerializer<Long> {
        @Override
        public String stream(Long v) {
            return "out-" + (v % 3);
        }

        @Override
        public List<byte[]> fields(Long v) {
            return List.of("n".getBytes(), Long.toString(v).getBytes(), "sq".getBytes(), Long.toString(v * v).getBytes());
        }
    }

    @Test
    void sinkWritesEachRecordWithItsFieldsToItsOwnStream(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            env.fromSequence(1, 300).sinkTo(new RedisStreamSink<>(new RedisConnectionConfig(redis.url(), 2, 2000),
                    new StreamPerRemainder(), 100_000, 7, 3)).uid("sink");
            env.execute("sink-streams-itcase");
            for (int r = 0; r < 3; r++) {
                List<redis.clients.jedis.resps.StreamEntry> entries = c.xrange("out-" + r, (StreamEntryID) null, null);
                assertThat(entries).hasSize(100);
                Set<Long> seen = new HashSet<>();
                for (redis.clients.jedis.resps.StreamEntry e : entries) {
                    long n = Long.parseLong(e.getFields().get("n"));
                    assertThat(n % 3).isEqualTo(r);
                    assertThat(e.getFields()).containsOnly(Map.entry("n", Long.toString(n)), Map.entry("sq", Long.toString(n * n)));
                    seen.add(n);
                }
                assertThat(seen).hasSize(100);
            }
        }
    }

    /**
     * A trickle into a batch that never fills, with no checkpoint to flush it: the batch goes out
     * after the sink's longest delay. (Fed-back accesses and DLQ records waited for a checkpoint.)
     */
    @Test
    void aPartialBatchIsSentAfterTheLongestDelayWithoutACheckpoint(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig(redis.url(), 4, 2000), List.of("in"), null,
                    "g", "flink", 1, 100, 50, 1000, -1, null);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1); // and no checkpoints
            env.fromSource(new RedisStreamSource(o), WatermarkStrategy.noWatermarks(), "redis").uid("src")
                    .map(e -> Long.parseLong(new String(e.data, StandardCharsets.UTF_8))).uid("parse")
                    .sinkTo(new RedisStreamSink<>(new RedisConnectionConfig(redis.url(), 2, 2000), new NumberEntries(), 100_000, 500, 3, 100))
                    .uid("sink");
            org.apache.flink.core.execution.JobClient job = env.executeAsync("sink-delay-itcase");
            try {
                for (long round = 1; round <= 2; round++) {
                    for (long i = 0; i < 3; i++) {
                        c.xadd("in".getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), Long.toString(round * 10 + i).getBytes()));
                    }
                    long deadline = System.currentTimeMillis() + 30_000;
                    while (c.xlen("out") < 3 * round && System.currentTimeMillis() < deadline) {
                        Thread.sleep(20);
                    }
                    assertThat(c.xlen("out")).as("round " + round).isEqualTo(3 * round);
                }
                List<String> got = new ArrayList<>();
                for (redis.clients.jedis.resps.StreamEntry e : c.xrange("out", (StreamEntryID) null, null)) {
                    got.add(e.getFields().get("n"));
                }
                assertThat(got).containsExactly("10", "11", "12", "20", "21", "22");
            } finally {
                job.cancel().get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }
}
