package io.mnemocore.operators.redis.source.enumerator;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

/** The streams whose splits exist already, so that discovery after a restore does not re-create them. */
public final class RedisEnumeratorState {
    private final Set<String> knownStreams;

    public RedisEnumeratorState(Set<String> knownStreams) {
        this.knownStreams = new TreeSet<>(knownStreams);
    }

    public Set<String> knownStreams() {
        return knownStreams;
    }

    public static final class Serializer implements SimpleVersionedSerializer<RedisEnumeratorState> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(RedisEnumeratorState s) throws IOException {
            DataOutputSerializer out = new DataOutputSerializer(64);
            out.writeInt(s.knownStreams.size());
            for (String k : s.knownStreams) {
                out.writeUTF(k);
            }
            return out.getCopyOfBuffer();
        }

        @Override
        public RedisEnumeratorState deserialize(int version, byte[] bytes) throws IOException {
            if (version != 1) {
                throw new IOException("unknown enumerator state version " + version);
            }
            DataInputDeserializer in = new DataInputDeserializer(bytes);
            int n = in.readInt();
            Set<String> keys = new TreeSet<>();
            for (int i = 0; i < n; i++) {
                keys.add(in.readUTF());
            }
            return new RedisEnumeratorState(keys);
        }
    }
}
