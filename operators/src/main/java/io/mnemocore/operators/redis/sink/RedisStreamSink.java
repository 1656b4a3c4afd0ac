package io.mnemocore.operators.redis.sink;

import io.mnemocore.operators.redis.Backoff;
import io.mnemocore.operators.redis.RedisConnectionConfig;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Sink V2 writing each record as one stream entry (XADD with approximate MAXLEN), pipelined in
 * batches. Buffered records are flushed before every checkpoint, so a completed checkpoint means
 * they are in Redis: delivery is at-least-once (a replay after a failure can repeat entries; each
 * record type carries ids that let readers drop repeats). When Redis stays unreachable after the
 * retries, the writer fails, the checkpoint fails, and the job restarts from the last one: records
 * are never dropped.
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

    /** @param maxLen approximate MAXLEN of the written streams; 0 or less never trims */
    public RedisStreamSink(RedisConnectionConfig connection, EntrySerializer<T> serializer, long maxLen,
                           int batchSize, int maxAttempts) {
        this.connection = connection;
        this.serializer = serializer;
        this.maxLen = maxLen;
        this.batchSize = batchSize;
        this.maxAttempts = maxAttempts;
    }

    @Override
    public SinkWriter<T> createWriter(WriterInitContext context) {
        return new Writer<>(this, context.metricGroup().counter("haim_sink_entries_total"),
                context.metricGroup().counter("haim_sink_retries_total"));
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final class Writer<T> implements SinkWriter<T> {
        private static final Logger LOG = LoggerFactory.getLogger(RedisStreamSink.class);
        private final RedisStreamSink<T> sink;
        private final Counter written;
        private final Counter retries;
        private final List<byte[][]> buffer = new ArrayList<>();
        private JedisPooled redis;

        Writer(RedisStreamSink<T> sink, Counter written, Counter retries) {
            this.sink = sink;
            this.written = written;
            this.retries = retries;
        }

        @Override
        public void write(T record, Context context) throws IOException, InterruptedException {
            List<byte[]> fields = sink.serializer.fields(record);
            int head = sink.maxLen > 0 ? 5 : 2;
            byte[][] args = new byte[fields.size() + head][];
            args[0] = utf8(sink.serializer.stream(record));
            if (sink.maxLen > 0) {
                args[1] = utf8("MAXLEN");
                args[2] = utf8("~");
                args[3] = utf8(Long.toString(sink.maxLen));
            }
            args[head - 1] = utf8("*");
            for (int i = 0; i < fields.size(); i++) {
                args[head + i] = fields.get(i);
            }
            buffer.add(args);
            if (buffer.size() >= sink.batchSize) {
                flushBuffer();
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
                        for (byte[][] args : buffer) {
                            p.sendCommand(Protocol.Command.XADD, args);
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
