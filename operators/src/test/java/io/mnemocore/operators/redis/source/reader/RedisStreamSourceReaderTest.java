package io.mnemocore.operators.redis.source.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.redis.RedisConnectionConfig;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.util.List;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;
import org.junit.jupiter.api.Test;

/** The source reader without Redis: what its start-up and an empty checkpoint do. */
class RedisStreamSourceReaderTest {
    /**
     * The XACK client is made when the reader is, at the task's start-up (its first construction
     * cost the query source's real-time thread at least 100 ms at the first checkpoint); making it
     * must not dial Redis, so a Redis that is down at start-up fails nothing here.
     */
    @Test
    void startsWithoutDiallingRedisAndAnEmptyCheckpointDialsNothing() throws Exception {
        // A listener that is no Redis: any dial shows up as an accepted connection.
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(300);
            RedisSourceOptions o = new RedisSourceOptions(
                    new RedisConnectionConfig("redis://127.0.0.1:" + listener.getLocalPort(), 1, 100), List.of("s"), null, "g",
                    "flink", 1, 10, 20, 1000, -1, null);
            SourceReaderMetricGroup metrics = UnregisteredMetricsGroup.createSourceReaderMetricGroup();
            RedisStreamSourceReader reader = new RedisStreamSourceReader(o, new Context(metrics), QueryPathPriority.NORMAL);
            assertThat(reader.snapshotState(1)).isEmpty();
            reader.notifyCheckpointComplete(1); // nothing was read, so nothing to acknowledge
            assertThatThrownBy(listener::accept).isInstanceOf(SocketTimeoutException.class);
            reader.close();
        }
    }

    private record Context(SourceReaderMetricGroup metricGroup) implements SourceReaderContext {
        @Override
        public Configuration getConfiguration() {
            return new Configuration();
        }

        @Override
        public String getLocalHostName() {
            return "localhost";
        }

        @Override
        public int getIndexOfSubtask() {
            return 0;
        }

        @Override
        public void sendSplitRequest() {}

        @Override
        public void sendSourceEventToCoordinator(SourceEvent event) {}

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
        }
    }
}
