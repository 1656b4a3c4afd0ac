package io.mnemocore.operators.redis.source.split;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class RedisStreamSplitSerializerTest {
    @Test
    void roundTripsPlainAndClaimerSplits() throws Exception {
        RedisStreamSerializerCheck.check(new RedisStreamSplit("haim:subconscious:acme", "acme", "flink-0", "1700000000000-5", 42));
        RedisStreamSerializerCheck.check(new RedisStreamSplit("haim:subconscious", null, "flink-claim", "0-0", 7, true,
                new TreeSet<>(List.of("1-0", "2-3"))));
    }

    static final class RedisStreamSerializerCheck {
        static void check(RedisStreamSplit s) throws Exception {
            RedisStreamSplitSerializer ser = RedisStreamSplitSerializer.INSTANCE;
            RedisStreamSplit back = ser.deserialize(ser.getVersion(), ser.serialize(s));
            assertThat(back.splitId()).isEqualTo(s.splitId());
            assertThat(back.tenant()).isEqualTo(s.tenant());
            assertThat(back.lastDeliveredId()).isEqualTo(s.lastDeliveredId());
            assertThat(back.emitted()).isEqualTo(s.emitted());
            assertThat(back.claimer()).isEqualTo(s.claimer());
            assertThat(back.claimed()).isEqualTo(s.claimed());
        }
    }
}
