package io.mnemocore.operators.redis.source.split;

import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/** Versioned so that savepoints taken by this version stay readable by later ones. */
public final class RedisStreamSplitSerializer implements SimpleVersionedSerializer<RedisStreamSplit> {
    public static final RedisStreamSplitSerializer INSTANCE = new RedisStreamSplitSerializer();
    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(RedisStreamSplit s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        out.writeUTF(s.streamKey());
        out.writeBoolean(s.tenant() != null);
        if (s.tenant() != null) {
            out.writeUTF(s.tenant());
        }
        out.writeUTF(s.consumer());
        out.writeUTF(s.lastDeliveredId());
        out.writeLong(s.emitted());
        out.writeBoolean(s.claimer());
        out.writeInt(s.claimed().size());
        for (String id : s.claimed()) {
            out.writeUTF(id);
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public RedisStreamSplit deserialize(int version, byte[] bytes) throws IOException {
        if (version != VERSION) {
            throw new IOException("unknown RedisStreamSplit serializer version " + version);
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        String stream = in.readUTF();
        String tenant = in.readBoolean() ? in.readUTF() : null;
        String consumer = in.readUTF();
        String last = in.readUTF();
        long emitted = in.readLong();
        boolean claimer = in.readBoolean();
        int n = in.readInt();
        java.util.TreeSet<String> claimed = new java.util.TreeSet<>();
        for (int i = 0; i < n; i++) {
            claimed.add(in.readUTF());
        }
        return new RedisStreamSplit(stream, tenant, consumer, last, emitted, claimer, claimed);
    }
}
