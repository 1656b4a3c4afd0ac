package io.mnemocore.operators.ingest;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sends per-memory events (write, access, delete, and one trigger per named memory) on to the
 * consolidator, and query-path events (query, inference.predict) to {@link #QUERIES}.
 */
public final class EventRouter extends ProcessFunction<MemoryEvent, MemoryEvent> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<MemoryEvent> QUERIES = new OutputTag<>("queries") {};

    /** The consolidator's key: tenant and memory id ('/' cannot occur in a tenant). */
    public static String key(MemoryEvent e) {
        return key(e.tenant, e.memoryId);
    }

    public static String key(String tenant, String memoryId) {
        return tenant + "/" + memoryId;
    }

    public static String tenantOf(String key) {
        return key.substring(0, key.indexOf('/'));
    }

    public static String memoryIdOf(String key) {
        return key.substring(key.indexOf('/') + 1);
    }

    @Override
    public void processElement(MemoryEvent e, Context ctx, Collector<MemoryEvent> out) {
        if (e.type == EventType.QUERY || e.type == EventType.INFERENCE_PREDICT) {
            ctx.output(QUERIES, e);
        } else if (e.type == EventType.CONSOLIDATION_TRIGGER) {
            for (String id : e.memoryIds) {
                MemoryEvent one = new MemoryEvent();
                one.type = EventType.CONSOLIDATION_TRIGGER;
                one.tenant = e.tenant;
                one.tier = e.tier;
                one.memoryId = id;
                one.timestamp = e.timestamp;
                one.sourceId = e.sourceId;
                one.sourceStream = e.sourceStream;
                out.collect(one);
            }
        } else {
            out.collect(e);
        }
    }
}
