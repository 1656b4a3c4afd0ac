package io.mnemocore.client;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.operators.codec.CodecLimits;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What the client refuses before sending. Its Redis is a closed port: anything that got as far as
 * sending would fail with a connection error instead of the refusal asserted here.
 */
class MnemoClientTest {
    private static final int D = 16384;

    private static MnemoClient client() {
        return new MnemoClient("redis://127.0.0.1:1/0", "haim:subconscious", "haim:queries", CodecLimits.defaults(D), "127.0.0.1", 9069);
    }

    /** close() deletes the reply stream, on the same closed port. */
    private static void closeQuietly(MnemoClient c) {
        try {
            c.close();
        } catch (redis.clients.jedis.exceptions.JedisConnectionException expected) {
            // nothing was ever sent
        }
    }

    @Test
    void eventsTheJobWouldDeadLetterAreRefusedWithTheJobsReason() {
        MnemoClient c = client();
        try {
            assertThatThrownBy(() -> c.store("acme", "n1", "x", null, null, 1.5))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memory.write").hasMessageContaining("bad_strength");
            assertThatThrownBy(() -> c.store("bad tenant", "n1", "x", null, null, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad_id");
            assertThatThrownBy(() -> c.store("acme", "n1", null, new long[7], null, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256 words"); // the encoder refuses it first
            assertThatThrownBy(() -> c.query("acme", "x", null, null, 0, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k must be at least 1");
            assertThatThrownBy(() -> c.query("acme", "x", null, null, 1001, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query").hasMessageContaining("bad_value");
            assertThatThrownBy(() -> c.forget("acme", "x".repeat(257)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("id_too_long");
        } finally {
            closeQuietly(c);
        }
    }

    @Test
    void aValidEventGetsAsFarAsRedis() {
        MnemoClient c = client();
        try {
            // Past the check, the closed port answers: a connection error, not a refusal.
            assertThatThrownBy(() -> c.store("acme", "n1", "buy oat milk", null, "shopping", 0.8))
                    .isInstanceOf(redis.clients.jedis.exceptions.JedisConnectionException.class);
            assertThatThrownBy(() -> c.query("acme", "oat milk", null, "shopping", 1000, Duration.ofSeconds(1)))
                    .isInstanceOf(redis.clients.jedis.exceptions.JedisConnectionException.class);
        } finally {
            closeQuietly(c);
        }
    }

    @Test
    void inspectWithNothingOnThePortSaysSo() {
        MnemoClient c = new MnemoClient("redis://127.0.0.1:1/0", "haim:subconscious", "haim:queries", CodecLimits.defaults(D), "127.0.0.1", 1);
        try {
            assertThatThrownBy(() -> c.inspect(new org.apache.flink.api.common.JobID(), "acme", "n1"))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("127.0.0.1:1")
                    .hasMessageContaining("nothing listens there: is the job running");
        } finally {
            closeQuietly(c);
        }
    }
}
