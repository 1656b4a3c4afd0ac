package io.mnemocore.operators.redis.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.redis.RedisConnectionConfig;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.util.function.ThrowingRunnable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

/** {@link RedisStreamSink}'s writers against a real redis-server, the task's mailbox played by a queue. */
class RedisStreamSinkITCase {

    /** Mails queue up until the test runs them, as the task runs them after the current record. */
    private static final class Mailbox implements MailboxExecutor {
        final List<ThrowingRunnable<? extends Exception>> queued = new ArrayList<>();

        @Override
        public void execute(MailOptions options, ThrowingRunnable<? extends Exception> command, String description, Object... args) {
            queued.add(command);
        }

        @Override
        public void yield() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean tryYield() {
            return false;
        }

        @Override
        public boolean shouldInterrupt() {
            return false;
        }

        void runAll() throws Exception {
            while (!queued.isEmpty()) {
                queued.remove(0).run();
            }
        }
    }

    private static final class Strings implements RedisStreamSink.EntrySerializer<String> {
        @Override
        public String stream(String record) {
            return "s";
        }

        @Override
        public List<byte[]> fields(String record) {
            return List.of("data".getBytes(StandardCharsets.UTF_8), record.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static List<String> entries(JedisPooled c) {
        List<String> out = new ArrayList<>();
        for (StreamEntry e : c.xrange("s", (StreamEntryID) null, (StreamEntryID) null)) {
            out.add(e.getFields().get("data"));
        }
        return out;
    }

    @Test
    void anImmediateSinkWritesWhatOneRecordProducedOnceTheTaskIsDoneWithIt(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            Mailbox mailbox = new Mailbox();
            SimpleCounter written = new SimpleCounter();
            RedisStreamSink<String> sink = RedisStreamSink.immediate(new RedisConnectionConfig(redis.url(), 2, 2000), new Strings(), 0, 100, 3);
            RedisStreamSink.Writer<String> writer = new RedisStreamSink.Writer<>(sink, written, new SimpleCounter(), mailbox);
            // One prediction's ten pre-warm triggers: buffered, one flush queued for all of them.
            for (int i = 0; i < 10; i++) {
                writer.write("hit" + i, null);
            }
            assertThat(c.exists("s")).isFalse();
            assertThat(mailbox.queued).hasSize(1);
            mailbox.runAll();
            assertThat(entries(c)).containsExactly("hit0", "hit1", "hit2", "hit3", "hit4", "hit5", "hit6", "hit7", "hit8", "hit9");
            assertThat(written.getCount()).isEqualTo(10);
            // The next record queues its own flush.
            writer.write("reply", null);
            assertThat(mailbox.queued).hasSize(1);
            mailbox.runAll();
            assertThat(entries(c)).hasSize(11).endsWith("reply");
            writer.close();
        }
    }

    @Test
    void aFullBufferIsWrittenAtOnceAndACheckpointLeavesTheQueuedFlushNothingToWrite(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            Mailbox mailbox = new Mailbox();
            RedisStreamSink<String> sink = RedisStreamSink.immediate(new RedisConnectionConfig(redis.url(), 2, 2000), new Strings(), 0, 4, 3);
            RedisStreamSink.Writer<String> writer = new RedisStreamSink.Writer<>(sink, new SimpleCounter(), new SimpleCounter(), mailbox);
            for (int i = 0; i < 5; i++) {
                writer.write("e" + i, null);
            }
            assertThat(entries(c)).containsExactly("e0", "e1", "e2", "e3");
            writer.flush(false); // before a checkpoint barrier
            assertThat(entries(c)).containsExactly("e0", "e1", "e2", "e3", "e4");
            mailbox.runAll();
            assertThat(entries(c)).hasSize(5);
            // After close a queued flush does nothing (the writer's connection is gone).
            writer.write("late", null);
            writer.close();
            mailbox.runAll();
            assertThat(entries(c)).hasSize(5);
        }
    }

    @Test
    void aBatchedSinkWaitsForItsBatchOrTheCheckpoint(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir, false); JedisPooled c = redis.client()) {
            RedisStreamSink<String> sink = new RedisStreamSink<>(new RedisConnectionConfig(redis.url(), 2, 2000), new Strings(), 0, 10, 3);
            RedisStreamSink.Writer<String> writer = new RedisStreamSink.Writer<>(sink, new SimpleCounter(), new SimpleCounter(), null);
            for (int i = 0; i < 3; i++) {
                writer.write("e" + i, null);
            }
            assertThat(c.exists("s")).isFalse();
            writer.flush(false);
            assertThat(entries(c)).containsExactly("e0", "e1", "e2");
            writer.close();
        }
    }
}
