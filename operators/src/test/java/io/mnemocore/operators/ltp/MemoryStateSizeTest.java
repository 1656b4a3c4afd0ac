package io.mnemocore.operators.ltp;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * Bytes one memory takes in the consolidator's RocksDB state, as the state backend writes them:
 * key group prefix + serialized key + namespace, and the serialized value. RocksDB adds its own
 * per-entry overhead and compresses blocks on top of this.
 */
class MemoryStateSizeTest {

    static int valueBytes(MemoryState s) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        LtpConsolidator.stateDescriptor().getSerializer().serialize(s, out);
        return out.length();
    }

    @Test
    void serializerRoundTripsEveryField() throws Exception {
        MemoryState full = cold();
        full.tier = Tier.WARM;
        full.hdv = Hdv.random(16384, 3).words();
        full.payload = new byte[] {1, 2, 3};
        full.archive = "2026-11-25/part-0-3#17";
        full.timerMs = full.updatedMs + 12345;
        for (MemoryState s : new MemoryState[] {cold(), full}) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            MemoryStateSerializer.INSTANCE.serialize(s, out);
            MemoryState back = MemoryStateSerializer.INSTANCE.deserialize(
                    new org.apache.flink.core.memory.DataInputDeserializer(out.getCopyOfBuffer()));
            assertThat(same(s, back)).isTrue();
            assertThat(same(s, MemoryStateSerializer.INSTANCE.copy(s))).isTrue();
        }
    }

    static int keyBytes(String key) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        StringSerializer.INSTANCE.serialize(key, out);
        return 1 /* key group (max parallelism <= 128) */ + out.length() + 1 /* VoidNamespace */;
    }

    static MemoryState cold() {
        MemoryState s = new MemoryState();
        s.contextId = "kitchen";
        s.tier = Tier.COLD;
        s.strength = 0.21;
        s.updatedMs = 1_795_000_000_000L;
        s.halfLifeMs = 86_400_000;
        s.accessCount = 3;
        s.createdMs = 1_790_000_000_000L;
        s.lastAccessMs = 1_792_000_000_000L;
        s.writes = 1;
        return s;
    }

    @Test
    void coldMemoryStaysUnderOneHundredBytes() throws Exception {
        String key = "acme/mem-000123456";
        int cold = keyBytes(key) + valueBytes(cold());
        MemoryState hot = cold();
        hot.tier = Tier.HOT;
        hot.hdv = Hdv.random(16384, 1).words();
        int hotBytes = keyBytes(key) + valueBytes(hot);
        System.out.printf("state bytes per memory (key %d chars): COLD %d, HOT/WARM with a 16384-bit vector %d%n",
                key.length(), cold, hotBytes);
        assertThat(cold).isLessThanOrEqualTo(100);
        assertThat(hotBytes).isLessThan(2048 + 120);
    }

    static boolean same(MemoryState a, MemoryState b) {
        return a.tier == b.tier && Double.compare(a.strength, b.strength) == 0 && a.updatedMs == b.updatedMs
                && Double.compare(a.halfLifeMs, b.halfLifeMs) == 0 && a.accessCount == b.accessCount
                && a.writes == b.writes && a.createdMs == b.createdMs && a.lastAccessMs == b.lastAccessMs
                && a.timerMs == b.timerMs && java.util.Objects.equals(a.contextId, b.contextId)
                && java.util.Arrays.equals(a.hdv, b.hdv) && java.util.Arrays.equals(a.payload, b.payload)
                && java.util.Objects.equals(a.archive, b.archive);
    }
}
