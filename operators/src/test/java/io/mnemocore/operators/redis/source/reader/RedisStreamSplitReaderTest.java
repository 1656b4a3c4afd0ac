package io.mnemocore.operators.redis.source.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.redis.RedisConnectionConfig;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

/** The split reader without Redis: what it does on its fetcher thread before any split arrives. */
class RedisStreamSplitReaderTest {
    /** A query source's fetcher takes the query path's priority itself, on its own thread, at its first fetch. */
    @Test
    void theFetcherThreadTakesItsPriorityAtTheFirstFetch() throws Exception {
        // Never dialled: without splits a fetch only waits.
        RedisSourceOptions o = new RedisSourceOptions(new RedisConnectionConfig("redis://127.0.0.1:1", 1, 100), List.of("s"),
                null, "g", "flink", 1, 10, 20, 1000, -1, null);
        RedisStreamSplitReader reader = new RedisStreamSplitReader(o, UnregisteredMetricsGroup.createSourceReaderMetricGroup(),
                new QueryPathPriority(8, 0));
        AtomicInteger before = new AtomicInteger();
        AtomicInteger after = new AtomicInteger();
        Thread fetcher = new Thread(() -> {
            before.set(Thread.currentThread().getPriority());
            reader.fetch();
            after.set(Thread.currentThread().getPriority());
        });
        fetcher.setPriority(Thread.NORM_PRIORITY);
        fetcher.start();
        fetcher.join();
        assertThat(before.get()).isEqualTo(Thread.NORM_PRIORITY);
        assertThat(after.get()).isEqualTo(8);
        assertThat(Thread.currentThread().getPriority()).isNotEqualTo(8); // created here, run there
        reader.close();
    }
}
