package io.mnemocore.operators.query;

import io.mnemocore.hdv.encode.EncoderSpec;
import io.mnemocore.hdv.encode.TextEncoder;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Encodes a query's text once, before the query goes to every HOT index subtask ({@link QueryFanOut}). */
public final class QueryPreparer extends ProcessFunction<MemoryEvent, Query> {
    private static final long serialVersionUID = 1L;
    private final EncoderSpec encoderSpec;
    private QueryPathPriority priority = QueryPathPriority.NORMAL;
    private transient TextEncoder encoder;
    private transient Counter realtimeSleeps;

    public QueryPreparer(EncoderSpec encoderSpec) {
        this.encoderSpec = encoderSpec;
    }

    /** How this operator's task thread is scheduled ({@link QueryPathPriority}); normal unless set. */
    public QueryPreparer withPriority(QueryPathPriority priority) {
        this.priority = Objects.requireNonNull(priority);
        return this;
    }

    public QueryPathPriority priority() {
        return priority;
    }

    @Override
    public void open(OpenContext ctx) {
        // Chained to its source: the source's fetcher thread, started after this, inherits the Java
        // priority; it takes the real-time one itself (RedisStreamSource#withFetcherPriority).
        priority.applyFromFirstElement();
        realtimeSleeps = getRuntimeContext().getMetricGroup().counter("haim_realtime_sleeps_total");
    }

    @Override
    public void processElement(MemoryEvent e, Context ctx, Collector<Query> out) {
        Query q = new Query();
        q.queryId = e.queryId != null ? e.queryId : e.sourceId;
        q.tenant = e.tenant;
        q.kind = e.type.wire();
        q.k = e.k;
        q.contextId = e.contextId;
        q.replyTo = e.replyTo;
        q.hdv = e.hdv;
        q.predictionWindowMs = e.predictionWindowS * 1000L;
        if (q.hdv == null && e.type == EventType.QUERY) {
            if (encoder == null) {
                encoder = encoderSpec.create();
            }
            q.hdv = encoder.encode(e.text, e.contextId).words();
        }
        Long ts = ctx.timestamp();
        q.receivedMs = ts != null ? ts : System.currentTimeMillis();
        q.preparedUs = StageClock.nowUs();
        out.collect(q);
        // Its source's whole chain ran for this query: a real-time thread that has used its share
        // of the core lets the rest of the machine run.
        QueryPathPriority.pace(realtimeSleeps);
    }
}
