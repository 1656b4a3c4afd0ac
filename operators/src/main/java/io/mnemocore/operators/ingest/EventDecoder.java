package io.mnemocore.operators.ingest;

import io.mnemocore.operators.codec.DecodeResult;
import io.mnemocore.operators.codec.EventCodec;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.StreamIds;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes stream entries into events and sends every rejected entry to the DLQ side output with
 * its reason and original bytes. It never throws on bad input. (Text is encoded later, after the
 * keyBy, where the work is spread over all subtasks.)
 */
public final class EventDecoder extends ProcessFunction<RedisStreamEntry, MemoryEvent> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DlqRecord> DLQ = new OutputTag<>("dlq") {};

    private final EventCodec codec;
    private transient Map<EventType, Counter> eventsIn;
    private transient Counter dlq;

    public EventDecoder(EventCodec codec) {
        this.codec = codec;
    }

    @Override
    public void open(OpenContext ctx) {
        eventsIn = new EnumMap<>(EventType.class);
        for (EventType t : EventType.values()) {
            eventsIn.put(t, getRuntimeContext().getMetricGroup().addGroup("type", t.wire()).counter("haim_events_in_total"));
        }
        dlq = getRuntimeContext().getMetricGroup().counter("haim_dlq_total");
    }

    @Override
    public void processElement(RedisStreamEntry entry, Context ctx, Collector<MemoryEvent> out) {
        DecodeResult r = codec.decode(entry.data, entry.entryId, entry.tenant);
        if (!r.isOk()) {
            dlq.inc();
            ctx.output(DLQ, new DlqRecord(r.error().reason().code(), r.error().detail(), entry.streamKey,
                    entry.entryId, entry.tenant, entry.data, StreamIds.millis(entry.entryId)));
            return;
        }
        MemoryEvent e = r.event();
        e.sourceStream = entry.streamKey;
        if (e.timestamp == 0) {
            // Redis assigns entry ids from its clock: the ingestion time is the event time.
            e.timestamp = StreamIds.millis(entry.entryId);
        }
        eventsIn.get(e.type).inc();
        out.collect(e);
    }
}
