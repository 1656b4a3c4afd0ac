package io.mnemocore.operators.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.testing.RedisServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.util.SafeEncoder;

/** {@link RedisStreams} against a real redis-server. */
class RedisStreamsITCase {
    @Test
    void aGroupThatDeliveredNothingHasReadZeroEntries(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            // Redis reports entries-read as null here; callers waiting for "read == before + n" hung on -1.
            RedisStreams.ensureGroup(c, "s", "g");
            assertThat(RedisStreams.groupInfo(c, "s", "g").entriesRead).isZero();
            c.xadd("s".getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), "e".getBytes()));
            RedisStreams.GroupInfo unread = RedisStreams.groupInfo(c, "s", "g");
            assertThat(unread.entriesRead).isZero();
            assertThat(unread.lag).isEqualTo(1);
            RedisStreams.readGroup(c, "g", "c1", "s", ">", 10, 0);
            RedisStreams.GroupInfo read = RedisStreams.groupInfo(c, "s", "g");
            assertThat(read.entriesRead).isEqualTo(1);
            assertThat(read.lag).isZero();
            assertThat(read.pending).isEqualTo(1);
        }
    }

    @Test
    void acksInBoundedCommandsAndAcksEveryId(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            int n = 2_500;
            RedisStreams.ensureGroup(c, "s", "g");
            for (int i = 0; i < n; i++) {
                c.xadd("s".getBytes(), XAddParams.xAddParams(), Map.of("data".getBytes(), ("e" + i).getBytes()));
            }
            List<String> ids = new ArrayList<>();
            for (RedisStreams.Entry e : RedisStreams.readGroup(c, "g", "c1", "s", ">", n, 0)) {
                ids.add(e.id);
            }
            assertThat(ids).hasSize(n);
            c.sendCommand(Protocol.Command.CONFIG, "RESETSTAT");
            assertThat(RedisStreams.ack(c, "s", "g", ids)).isEqualTo(n);
            assertThat(RedisStreams.groupInfo(c, "s", "g").pending).isZero();
            // 1,000 ids at most per XACK: one long XACK holds up every other client of the server.
            assertThat(SafeEncoder.encode((byte[]) c.sendCommand(Protocol.Command.INFO, "commandstats")))
                    .contains("cmdstat_xack:calls=3,");
        }
    }
}
