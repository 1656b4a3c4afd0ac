package io.mnemocore.operators.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.testing.RedisServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.XAddParams;

/** What {@link RedisStreams#groupInfo} makes of XINFO GROUPS on a real redis-server. */
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
}
