package io.mnemocore.operators.redis.sink;

import static io.mnemocore.operators.redis.RedisStreams.DATA;
import static io.mnemocore.operators.redis.sink.RedisStreamSink.utf8;

import io.mnemocore.operators.codec.EventCodec;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ingest.DlqRecord;
import io.mnemocore.operators.ltp.Transition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How DLQ records, transitions and fed-back events look as stream entries. */
public final class EntrySerializers {
    private EntrySerializers() {}

    private static void put(List<byte[]> f, String k, String v) {
        if (v != null) {
            f.add(utf8(k));
            f.add(utf8(v));
        }
    }

    /** Every record of a serializer goes to one stream. */
    abstract static class ToStream<T> implements RedisStreamSink.EntrySerializer<T> {
        private static final long serialVersionUID = 1L;
        private final String stream;

        ToStream(String stream) {
            this.stream = stream;
        }

        @Override
        public final String stream(T record) {
            return stream;
        }
    }

    /** {@code haim:dlq}: reason, detail, source stream and id, tenant, the original bytes. */
    public static final class Dlq extends ToStream<DlqRecord> {
        private static final long serialVersionUID = 1L;

        public Dlq(String stream) {
            super(stream);
        }

        @Override
        public List<byte[]> fields(DlqRecord r) {
            List<byte[]> f = new ArrayList<>();
            put(f, "reason", r.reason);
            put(f, "detail", r.detail);
            put(f, "source_stream", r.sourceStream);
            put(f, "source_id", r.sourceId);
            put(f, "tenant", r.tenant);
            put(f, "at", Long.toString(r.atMs));
            if (r.data != null) {
                f.add(DATA);
                f.add(r.data);
            }
            return f;
        }
    }

    /** {@code haim:transitions}, the audit log: one entry per transition, with its dedupe id. */
    public static final class TransitionLog extends ToStream<Transition> {
        private static final long serialVersionUID = 1L;
        private static final String[] KINDS = names(io.mnemocore.operators.ltp.TransitionKind.values());
        private static final String[] TIERS = names(io.mnemocore.operators.ltp.Tier.values());

        private static String[] names(Enum<?>[] values) {
            String[] out = new String[values.length];
            for (int i = 0; i < values.length; i++) {
                out[i] = values[i].name().toLowerCase(Locale.ROOT);
            }
            return out;
        }

        public TransitionLog(String stream) {
            super(stream);
        }

        @Override
        public List<byte[]> fields(Transition t) {
            List<byte[]> f = new ArrayList<>();
            put(f, "id", t.id());
            put(f, "kind", KINDS[t.kind.ordinal()]);
            put(f, "tenant", t.tenant);
            put(f, "memory_id", t.memoryId);
            put(f, "from", t.fromTier == null ? null : TIERS[t.fromTier.ordinal()]);
            put(f, "to", t.toTier == null ? null : TIERS[t.toTier.ordinal()]);
            put(f, "strength", Double.toString(t.strength));
            put(f, "at", Long.toString(t.atMs));
            put(f, "access_count", Integer.toString(t.accessCount));
            put(f, "reason", t.reason);
            put(f, "context_id", t.contextId);
            put(f, "archive", t.archive);
            return f;
        }
    }

    /** Events the job writes back onto the bus (e.g. HOT evictions), msgpack in field {@code data}. */
    public static final class Events extends ToStream<MemoryEvent> {
        private static final long serialVersionUID = 1L;
        private final EventCodec codec;

        public Events(String stream, EventCodec codec) {
            super(stream);
            this.codec = codec;
        }

        @Override
        public List<byte[]> fields(MemoryEvent e) {
            List<byte[]> f = new ArrayList<>(2);
            f.add(DATA);
            f.add(codec.encode(e));
            return f;
        }
    }

    /** Query replies, each to its query's {@code reply_to} stream, msgpack in field {@code data}. */
    public static final class Replies implements RedisStreamSink.EntrySerializer<io.mnemocore.operators.query.QueryReply> {
        private static final long serialVersionUID = 1L;

        @Override
        public String stream(io.mnemocore.operators.query.QueryReply r) {
            return r.replyTo;
        }

        @Override
        public List<byte[]> fields(io.mnemocore.operators.query.QueryReply r) {
            List<byte[]> f = new ArrayList<>(4);
            put(f, "query_id", r.queryId);
            f.add(DATA);
            f.add(io.mnemocore.operators.query.ReplyCodec.encode(r));
            return f;
        }
    }
}
