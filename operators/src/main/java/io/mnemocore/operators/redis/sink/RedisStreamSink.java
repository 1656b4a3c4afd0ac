package io.mnemocore.operators.redis.sink;

import io.mnemocore.operators.redis.Backoff;
import io.mnemocore.operators.redis.RedisConnectionConfig;
import io.mnemocore.operators.sink.FlushDeadline;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.args.Rawable;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Sink V2 writing each record as one stream entry (XADD with approximate MAXLEN), pipelined in
 * batches. A batch goes out when it is full, when its first record has waited {@code maxBufferMs}
 * (so a trickle of fed-back accesses or DLQ records does not wait for the next checkpoint), and
 * before every checkpoint, so a completed checkpoint means they are in Redis: delivery is
 * at-least-once (a replay after a failure can repeat entries; each record type carries ids that
 * let readers drop repeats). When Redis stays unreachable after the retries, the writer fails,
 * the checkpoint fails, and the job restarts from the last one: records are never dropped.
 */
public final class RedisStreamSink<T> implements Sink<T> {
    private static final long serialVersionUID = 1L;

    /** Maps a record to its stream and its field/value pairs. */
    public interface EntrySerializer<T> extends Serializable {
        String stream(T record);

        /** Alternating field names and values. */
        List<byte[]> fields(T record);
    }

    private final RedisConnectionConfig connection;
    private final EntrySerializer<T> serializer;
    private final long maxLen;
    private final int batchSize;
    private final int maxAttempts;
    private final long maxBufferMs;

    /** A sink that sends a batch only when it is full or a checkpoint comes (the replies' batches of 1 need no timer). */
    public RedisStreamSink(RedisConnectionConfig connection, EntrySerializer<T> serializer, long maxLen,
                           int batchSize, int maxAttempts) {
        this(connection, serializer, maxLen, batchSize, maxAttempts, 0);
    }

    /**
     * @param maxLen approximate MAXLEN of the written streams; 0 or less never trims
     * @param maxBufferMs the longest a buffered record waits before its batch is sent although not
     *     full; 0 or less: until the batch is full or a checkpoint comes
     */
    public RedisStreamSink(RedisConnectionConfig connection, EntrySerializer<T> serializer, long maxLen,
                           int batchSize, int maxAttempts, long maxBufferMs) {
        this.connection = connection;
        this.serializer = serializer;
        this.maxLen = maxLen;
        this.batchSize = batchSize;
        this.maxAttempts = maxAttempts;
        this.maxBufferMs = maxBufferMs;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(this, context.metricGroup().counter("haim_sink_entries_total"),
                context.metricGroup().counter("haim_sink_retries_total"), context.getProcessingTimeService());
    }

    /**
     * An argument passed as it is: Jedis copies every {@code byte[]} argument it is given (a reply,
     * ten fed-back accesses a query). The arrays are never written to after the record is encoded.
     */
    private static final class Arg implements Rawable {
        private final byte[] bytes;

        Arg(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public byte[] getRaw() {
            return bytes;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Arg && Arrays.equals(bytes, ((Arg) o).bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private static final Logger LOG = LoggerFactory.getLogger(RedisStreamSink.class);
        private final RedisStreamSink<T> sink;
        private final Counter written;
        private final Counter retries;
        private final List<CommandArguments> buffer = new ArrayList<>();
        private JedisPooled redis;
        /** XADD's arguments between the stream and the fields; shared by every command, never written to. */
        private final Rawable[] head;
        private String lastStream;
        private Rawable lastStreamArg;
        private final FlushDeadline deadline;

        Writer(RedisStreamSink<T> sink, Counter written, Counter retries, ProcessingTimeService time) {
            this.sink = sink;
            this.written = written;
            this.retries = retries;
            this.deadline = new FlushDeadline(time, sink.maxBufferMs, this::flushBuffer);
            this.head = sink.maxLen > 0
                    ? new Rawable[] {new Arg(utf8("MAXLEN")), new Arg(utf8("~")), new Arg(utf8(Long.toString(sink.maxLen))), new Arg(utf8("*"))}
                    : new Rawable[] {new Arg(utf8("*"))};
        }

        @Override
        public void write(T record, Context context) throws IOException, InterruptedException {
            String stream = sink.serializer.stream(record);
            if (!stream.equals(lastStream)) {
                // Most sinks write to one stream; replies go to whichever stream their query named.
                lastStream = stream;
                lastStreamArg = new Arg(utf8(stream));
            }
            CommandArguments args = new CommandArguments(Protocol.Command.XADD).add(lastStreamArg);
            for (Rawable h : head) {
                args.add(h);
            }
            for (byte[] field : sink.serializer.fields(record)) {
                args.add(new Arg(field));
            }
            buffer.add(args);
            if (buffer.size() >= sink.batchSize) {
                flushBuffer();
            } else {
                deadline.arm();
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            flushBuffer();
        }

        private void flushBuffer() throws IOException, InterruptedException {
            if (buffer.isEmpty()) {
                return;
            }
            Backoff backoff = new Backoff(100, 5_000);
            for (int attempt = 1; ; attempt++) {
                try {
                    if (redis == null) {
                        redis = sink.connection.createClient();
                    }
                    try (Pipeline p = redis.pipelined()) {
                        for (CommandArguments args : buffer) {
                            p.sendCommand(args);
                        }
                        p.sync();
                    }
                    written.inc(buffer.size());
                    buffer.clear();
                    return;
                } catch (JedisException e) {
                    if (attempt >= sink.maxAttempts) {
                        throw new IOException("XADD of " + buffer.size() + " entries failed " + attempt
                                + " times; failing so the checkpoint fails and nothing is lost", e);
                    }
                    retries.inc();
                    long delay = backoff.nextDelayMs();
                    LOG.warn("XADD failed ({}); retry {} in {} ms", e.toString(), attempt, delay);
                    Thread.sleep(delay);
                }
            }
        }

        @Override
        public void close() {
            if (redis != null) {
                redis.close();
            }
        }
    }
}
