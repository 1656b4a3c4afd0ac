package io.mnemocore.operators.edge;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import io.mnemocore.operators.query.Hit;
import io.mnemocore.operators.query.HotChange;
import io.mnemocore.operators.query.HotFacts;
import io.mnemocore.operators.query.HotMemory;
import io.mnemocore.operators.query.PartialResult;
import io.mnemocore.operators.query.Query;
import io.mnemocore.operators.query.QueryReply;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * The serializers of {@link EdgeTypes}: every field written in a fixed order with its own type,
 * no reflection and no boxing. {@code EdgeSerializersTest} fills every public field of each type
 * by reflection and fails when one does not come back, so a field added later cannot be lost
 * silently.
 *
 * <p>{@code copy} makes new objects but shares the vectors, payloads and other arrays: in this job
 * an array is never written after the record holding it is emitted ({@code MnemoCoreJob.configure}
 * states the rule that object reuse rests on). Hits are copied, because the rerank sets their score.
 */
public final class EdgeSerializers {
    private EdgeSerializers() {}

    /** What every edge serializer shares; a subclass is stateless, so one instance serves every thread. */
    abstract static class EdgeSerializer<T> extends TypeSerializer<T> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public TypeSerializer<T> duplicate() {
            return this;
        }

        @Override
        public T copy(T from, T reuse) {
            return copy(from);
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public T deserialize(T reuse, DataInputView in) throws IOException {
            return deserialize(in);
        }

        @Override
        public void copy(DataInputView in, DataOutputView out) throws IOException {
            serialize(deserialize(in), out);
        }

        @Override
        public boolean equals(Object o) {
            return o != null && o.getClass() == getClass();
        }

        @Override
        public int hashCode() {
            return getClass().hashCode();
        }
    }

    public static final class MemoryEvents extends EdgeSerializer<MemoryEvent> {
        private static final long serialVersionUID = 1L;
        private static final EventType[] TYPES = EventType.values();

        @Override
        public MemoryEvent createInstance() {
            return new MemoryEvent();
        }

        @Override
        public MemoryEvent copy(MemoryEvent f) {
            MemoryEvent t = new MemoryEvent();
            t.type = f.type;
            t.tenant = f.tenant;
            t.sourceId = f.sourceId;
            t.sourceStream = f.sourceStream;
            t.memoryId = f.memoryId;
            t.contextId = f.contextId;
            t.hdv = f.hdv;
            t.text = f.text;
            t.ltpStrength = f.ltpStrength;
            t.timestamp = f.timestamp;
            t.accessCount = f.accessCount;
            t.lastAccess = f.lastAccess;
            t.tier = f.tier;
            t.memoryIds = f.memoryIds;
            t.predictionWindowS = f.predictionWindowS;
            t.queryId = f.queryId;
            t.k = f.k;
            t.replyTo = f.replyTo;
            t.payload = f.payload;
            t.archive = f.archive;
            t.origin = f.origin;
            t.updatedMs = f.updatedMs;
            t.halfLifeMs = f.halfLifeMs;
            return t;
        }

        @Override
        public void serialize(MemoryEvent e, DataOutputView out) throws IOException {
            writeEnum(e.type, out);
            StringValue.writeString(e.tenant, out);
            StringValue.writeString(e.sourceId, out);
            StringValue.writeString(e.sourceStream, out);
            StringValue.writeString(e.memoryId, out);
            StringValue.writeString(e.contextId, out);
            writeLongs(e.hdv, out);
            StringValue.writeString(e.text, out);
            out.writeDouble(e.ltpStrength);
            out.writeLong(e.timestamp);
            out.writeInt(e.accessCount);
            out.writeLong(e.lastAccess);
            StringValue.writeString(e.tier, out);
            writeStrings(e.memoryIds, out);
            out.writeInt(e.predictionWindowS);
            StringValue.writeString(e.queryId, out);
            out.writeInt(e.k);
            StringValue.writeString(e.replyTo, out);
            writeBytes(e.payload, out);
            StringValue.writeString(e.archive, out);
            StringValue.writeString(e.origin, out);
            out.writeLong(e.updatedMs);
            out.writeDouble(e.halfLifeMs);
        }

        @Override
        public MemoryEvent deserialize(DataInputView in) throws IOException {
            MemoryEvent e = new MemoryEvent();
            e.type = readEnum(TYPES, in);
            e.tenant = StringValue.readString(in);
            e.sourceId = StringValue.readString(in);
            e.sourceStream = StringValue.readString(in);
            e.memoryId = StringValue.readString(in);
            e.contextId = StringValue.readString(in);
            e.hdv = readLongs(in);
            e.text = StringValue.readString(in);
            e.ltpStrength = in.readDouble();
            e.timestamp = in.readLong();
            e.accessCount = in.readInt();
            e.lastAccess = in.readLong();
            e.tier = StringValue.readString(in);
            e.memoryIds = readStrings(in);
            e.predictionWindowS = in.readInt();
            e.queryId = StringValue.readString(in);
            e.k = in.readInt();
            e.replyTo = StringValue.readString(in);
            e.payload = readBytes(in);
            e.archive = StringValue.readString(in);
            e.origin = StringValue.readString(in);
            e.updatedMs = in.readLong();
            e.halfLifeMs = in.readDouble();
            return e;
        }

        @Override
        public TypeSerializerSnapshot<MemoryEvent> snapshotConfiguration() {
            return new Snapshot();
        }

        public static final class Snapshot extends SimpleTypeSerializerSnapshot<MemoryEvent> {
            public Snapshot() {
                super(MemoryEvents::new);
            }
        }
    }

    public static final class Transitions extends EdgeSerializer<Transition> {
        private static final long serialVersionUID = 1L;
        private static final TransitionKind[] KINDS = TransitionKind.values();
        private static final Tier[] TIERS = Tier.values();

        @Override
        public Transition createInstance() {
            return new Transition();
        }

        @Override
        public Transition copy(Transition f) {
            Transition t = f.copy();
            t.hdv = f.hdv;
            t.payload = f.payload;
            return t;
        }

        @Override
        public void serialize(Transition t, DataOutputView out) throws IOException {
            writeEnum(t.kind, out);
            StringValue.writeString(t.tenant, out);
            StringValue.writeString(t.memoryId, out);
            StringValue.writeString(t.contextId, out);
            writeEnum(t.fromTier, out);
            writeEnum(t.toTier, out);
            out.writeDouble(t.strength);
            out.writeLong(t.atMs);
            out.writeInt(t.accessCount);
            out.writeDouble(t.halfLifeMs);
            out.writeLong(t.lastAccessMs);
            StringValue.writeString(t.reason, out);
            writeLongs(t.hdv, out);
            writeBytes(t.payload, out);
            StringValue.writeString(t.archive, out);
        }

        @Override
        public Transition deserialize(DataInputView in) throws IOException {
            Transition t = new Transition();
            t.kind = readEnum(KINDS, in);
            t.tenant = StringValue.readString(in);
            t.memoryId = StringValue.readString(in);
            t.contextId = StringValue.readString(in);
            t.fromTier = readEnum(TIERS, in);
            t.toTier = readEnum(TIERS, in);
            t.strength = in.readDouble();
            t.atMs = in.readLong();
            t.accessCount = in.readInt();
            t.halfLifeMs = in.readDouble();
            t.lastAccessMs = in.readLong();
            t.reason = StringValue.readString(in);
            t.hdv = readLongs(in);
            t.payload = readBytes(in);
            t.archive = StringValue.readString(in);
            return t;
        }

        @Override
        public TypeSerializerSnapshot<Transition> snapshotConfiguration() {
            return new Snapshot();
        }

        public static final class Snapshot extends SimpleTypeSerializerSnapshot<Transition> {
            public Snapshot() {
                super(Transitions::new);
            }
        }
    }

    public static final class HotChanges extends EdgeSerializer<HotChange> {
        private static final long serialVersionUID = 1L;
        private static final HotChange.Op[] OPS = HotChange.Op.values();

        @Override
        public HotChange createInstance() {
            return new HotChange();
        }

        @Override
        public HotChange copy(HotChange f) {
            HotChange t = new HotChange();
            t.op = f.op;
            t.tenant = f.tenant;
            t.memoryId = f.memoryId;
            if (f.memory != null) {
                t.memory = new HotMemory();
                t.memory.hdv = f.memory.hdv;
                t.memory.payload = f.memory.payload;
                t.memory.contextId = f.memory.contextId;
            }
            if (f.facts != null) {
                t.facts = new HotFacts();
                t.facts.strength = f.facts.strength;
                t.facts.updatedMs = f.facts.updatedMs;
                t.facts.halfLifeMs = f.facts.halfLifeMs;
                t.facts.lastAccessMs = f.facts.lastAccessMs;
            }
            t.store = f.store;
            t.stores = f.stores;
            t.route = f.route;
            return t;
        }

        @Override
        public void serialize(HotChange c, DataOutputView out) throws IOException {
            writeEnum(c.op, out);
            StringValue.writeString(c.tenant, out);
            StringValue.writeString(c.memoryId, out);
            out.writeBoolean(c.memory != null);
            if (c.memory != null) {
                writeLongs(c.memory.hdv, out);
                writeBytes(c.memory.payload, out);
                StringValue.writeString(c.memory.contextId, out);
            }
            out.writeBoolean(c.facts != null);
            if (c.facts != null) {
                out.writeDouble(c.facts.strength);
                out.writeLong(c.facts.updatedMs);
                out.writeDouble(c.facts.halfLifeMs);
                out.writeLong(c.facts.lastAccessMs);
            }
            out.writeInt(c.store);
            out.writeInt(c.stores);
            StringValue.writeString(c.route, out);
        }

        @Override
        public HotChange deserialize(DataInputView in) throws IOException {
            HotChange c = new HotChange();
            c.op = readEnum(OPS, in);
            c.tenant = StringValue.readString(in);
            c.memoryId = StringValue.readString(in);
            if (in.readBoolean()) {
                c.memory = new HotMemory();
                c.memory.hdv = readLongs(in);
                c.memory.payload = readBytes(in);
                c.memory.contextId = StringValue.readString(in);
            }
            if (in.readBoolean()) {
                c.facts = new HotFacts();
                c.facts.strength = in.readDouble();
                c.facts.updatedMs = in.readLong();
                c.facts.halfLifeMs = in.readDouble();
                c.facts.lastAccessMs = in.readLong();
            }
            c.store = in.readInt();
            c.stores = in.readInt();
            c.route = StringValue.readString(in);
            return c;
        }

        @Override
        public TypeSerializerSnapshot<HotChange> snapshotConfiguration() {
            return new Snapshot();
        }

        public static final class Snapshot extends SimpleTypeSerializerSnapshot<HotChange> {
            public Snapshot() {
                super(HotChanges::new);
            }
        }
    }

    public static final class Queries extends EdgeSerializer<Query> {
        private static final long serialVersionUID = 1L;

        @Override
        public Query createInstance() {
            return new Query();
        }

        @Override
        public Query copy(Query f) {
            return f.copy();
        }

        @Override
        public void serialize(Query q, DataOutputView out) throws IOException {
            StringValue.writeString(q.queryId, out);
            StringValue.writeString(q.tenant, out);
            StringValue.writeString(q.kind, out);
            writeLongs(q.hdv, out);
            out.writeInt(q.k);
            StringValue.writeString(q.contextId, out);
            StringValue.writeString(q.replyTo, out);
            out.writeLong(q.receivedMs);
            out.writeLong(q.preparedUs);
            writeLongs(q.contextHologram, out);
            writeStrings(q.predicted, out);
            writeInts(q.predictedDistance, out);
            out.writeBoolean(q.contentTopUp);
            out.writeLong(q.predictionWindowMs);
            StringValue.writeString(q.route, out);
        }

        @Override
        public Query deserialize(DataInputView in) throws IOException {
            Query q = new Query();
            q.queryId = StringValue.readString(in);
            q.tenant = StringValue.readString(in);
            q.kind = StringValue.readString(in);
            q.hdv = readLongs(in);
            q.k = in.readInt();
            q.contextId = StringValue.readString(in);
            q.replyTo = StringValue.readString(in);
            q.receivedMs = in.readLong();
            q.preparedUs = in.readLong();
            q.contextHologram = readLongs(in);
            q.predicted = readStrings(in);
            q.predictedDistance = readInts(in);
            q.contentTopUp = in.readBoolean();
            q.predictionWindowMs = in.readLong();
            q.route = StringValue.readString(in);
            return q;
        }

        @Override
        public TypeSerializerSnapshot<Query> snapshotConfiguration() {
            return new Snapshot();
        }

        public static final class Snapshot extends SimpleTypeSerializerSnapshot<Query> {
            public Snapshot() {
                super(Queries::new);
            }
        }
    }

    public static final class PartialResults extends EdgeSerializer<PartialResult> {
        private static final long serialVersionUID = 1L;
        private static final Queries QUERIES = new Queries();

        @Override
        public PartialResult createInstance() {
            return new PartialResult();
        }

        @Override
        public PartialResult copy(PartialResult f) {
            PartialResult p = new PartialResult();
            p.query = f.query == null ? null : f.query.copy();
            p.subtask = f.subtask;
            p.parts = f.parts;
            p.scanned = f.scanned;
            p.approximate = f.approximate;
            p.hits = copyHits(f.hits);
            p.indexStartUs = f.indexStartUs;
            p.indexEndUs = f.indexEndUs;
            return p;
        }

        @Override
        public void serialize(PartialResult p, DataOutputView out) throws IOException {
            out.writeBoolean(p.query != null);
            if (p.query != null) {
                QUERIES.serialize(p.query, out);
            }
            out.writeInt(p.subtask);
            out.writeInt(p.parts);
            out.writeInt(p.scanned);
            out.writeBoolean(p.approximate);
            writeHits(p.hits, out);
            out.writeLong(p.indexStartUs);
            out.writeLong(p.indexEndUs);
        }

        @Override
        public PartialResult deserialize(DataInputView in) throws IOException {
            PartialResult p = new PartialResult();
            if (in.readBoolean()) {
                p.query = QUERIES.deserialize(in);
            }
            p.subtask = in.readInt();
            p.parts = in.readInt();
            p.scanned = in.readInt();
            p.approximate = in.readBoolean();
            p.hits = readHits(in);
            p.indexStartUs = in.readLong();
            p.indexEndUs = in.readLong();
            return p;
        }

        @Override
        public TypeSerializerSnapshot<PartialResult> snapshotConfiguration() {
            return new Snapshot();
        }

        public static final class Snapshot extends SimpleTypeSerializerSnapshot<PartialResult> {
            public Snapshot() {
                super(PartialResults::new);
            }
        }
    }

    public static final class Replies extends EdgeSerializer<QueryReply> {
        private static final long serialVersionUID = 1L;

        @Override
        public QueryReply createInstance() {
            return new QueryReply();
        }

        @Override
        public QueryReply copy(QueryReply f) {
            QueryReply r = new QueryReply();
            r.queryId = f.queryId;
            r.tenant = f.tenant;
            r.kind = f.kind;
            r.replyTo = f.replyTo;
            r.hits = copyHits(f.hits);
            r.tier = f.tier;
            r.latencyMs = f.latencyMs;
            r.confidence = f.confidence;
            r.degraded = f.degraded;
            r.degradedReason = f.degradedReason;
            r.scanned = f.scanned;
            r.approximate = f.approximate;
            r.predicted = f.predicted;
            r.predictedBy = f.predictedBy;
            r.stagesUs = f.stagesUs;
            return r;
        }

        @Override
        public void serialize(QueryReply r, DataOutputView out) throws IOException {
            StringValue.writeString(r.queryId, out);
            StringValue.writeString(r.tenant, out);
            StringValue.writeString(r.kind, out);
            StringValue.writeString(r.replyTo, out);
            writeHits(r.hits, out);
            StringValue.writeString(r.tier, out);
            out.writeLong(r.latencyMs);
            StringValue.writeString(r.confidence, out);
            out.writeBoolean(r.degraded);
            StringValue.writeString(r.degradedReason, out);
            out.writeInt(r.scanned);
            out.writeBoolean(r.approximate);
            writeStrings(r.predicted, out);
            StringValue.writeString(r.predictedBy, out);
            writeLongs(r.stagesUs, out);
        }

        @Override
        public QueryReply deserialize(DataInputView in) throws IOException {
            QueryReply r = new QueryReply();
            r.queryId = StringValue.readString(in);
            r.tenant = StringValue.readString(in);
            r.kind = StringValue.readString(in);
            r.replyTo = StringValue.readString(in);
            r.hits = readHits(in);
            r.tier = StringValue.readString(in);
            r.latencyMs = in.readLong();
            r.confidence = StringValue.readString(in);
            r.degraded = in.readBoolean();
            r.degradedReason = StringValue.readString(in);
            r.scanned = in.readInt();
            r.approximate = in.readBoolean();
            r.predicted = readStrings(in);
            r.predictedBy = StringValue.readString(in);
            r.stagesUs = readLongs(in);
            return r;
        }

        @Override
        public TypeSerializerSnapshot<QueryReply> snapshotConfiguration() {
            return new Snapshot();
        }

        public static final class Snapshot extends SimpleTypeSerializerSnapshot<QueryReply> {
            public Snapshot() {
                super(Replies::new);
            }
        }
    }

    static void writeHits(Hit[] hits, DataOutputView out) throws IOException {
        out.writeInt(hits == null ? -1 : hits.length);
        if (hits != null) {
            for (Hit h : hits) {
                out.writeBoolean(h != null);
                if (h != null) {
                    StringValue.writeString(h.memoryId, out);
                    out.writeInt(h.distance);
                    out.writeDouble(h.score);
                    StringValue.writeString(h.tier, out);
                    out.writeDouble(h.strength);
                    out.writeLong(h.updatedMs);
                    out.writeDouble(h.halfLifeMs);
                    out.writeLong(h.lastAccessMs);
                    StringValue.writeString(h.contextId, out);
                    writeBytes(h.payload, out);
                }
            }
        }
    }

    static Hit[] readHits(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        Hit[] hits = new Hit[n];
        for (int i = 0; i < n; i++) {
            if (in.readBoolean()) {
                Hit h = new Hit();
                h.memoryId = StringValue.readString(in);
                h.distance = in.readInt();
                h.score = in.readDouble();
                h.tier = tier(StringValue.readString(in));
                h.strength = in.readDouble();
                h.updatedMs = in.readLong();
                h.halfLifeMs = in.readDouble();
                h.lastAccessMs = in.readLong();
                h.contextId = StringValue.readString(in);
                h.payload = readBytes(in);
                hits[i] = h;
            }
        }
        return hits;
    }

    /** Every HOT hit names its tier: one shared string instead of a copy per hit. */
    private static String tier(String t) {
        return "hot".equals(t) ? "hot" : t;
    }

    /** New hits (the rerank sets their score), sharing their payloads. */
    static Hit[] copyHits(Hit[] from) {
        if (from == null) {
            return null;
        }
        Hit[] hits = new Hit[from.length];
        for (int i = 0; i < from.length; i++) {
            hits[i] = from[i] == null ? null : from[i].copy();
        }
        return hits;
    }

    /** Enums by ordinal, -1 for null: an edge's records live no longer than one version of the job. */
    static void writeEnum(Enum<?> e, DataOutputView out) throws IOException {
        out.writeByte(e == null ? -1 : e.ordinal());
    }

    static <E extends Enum<E>> E readEnum(E[] values, DataInputView in) throws IOException {
        int i = in.readByte();
        return i < 0 ? null : values[i];
    }

    static void writeLongs(long[] a, DataOutputView out) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a != null) {
            for (long v : a) {
                out.writeLong(v);
            }
        }
    }

    static long[] readLongs(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readLong();
        }
        return a;
    }

    static void writeInts(int[] a, DataOutputView out) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a != null) {
            for (int v : a) {
                out.writeInt(v);
            }
        }
    }

    static int[] readInts(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.readInt();
        }
        return a;
    }

    static void writeBytes(byte[] a, DataOutputView out) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a != null) {
            out.write(a);
        }
    }

    static byte[] readBytes(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] a = new byte[n];
        in.readFully(a);
        return a;
    }

    static void writeStrings(String[] a, DataOutputView out) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a != null) {
            for (String s : a) {
                StringValue.writeString(s, out);
            }
        }
    }

    static String[] readStrings(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        String[] a = new String[n];
        for (int i = 0; i < n; i++) {
            a[i] = StringValue.readString(in);
        }
        return a;
    }
}
