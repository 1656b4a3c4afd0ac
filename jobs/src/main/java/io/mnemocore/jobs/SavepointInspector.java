package io.mnemocore.jobs;

import io.mnemocore.operators.ltp.LtpConsolidator;
import io.mnemocore.operators.ltp.MemoryState;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/** Reads every memory's state out of a savepoint with the State Processor API. */
public final class SavepointInspector {
    private SavepointInspector() {}

    /** tenant/memory_id → "tier|access_count|strength|writes|has_vector" (strength to 9 decimals). */
    public static Map<String, String> memories(String savepointPath) throws Exception {
        return read(savepointPath, false);
    }

    /** tenant/memory_id → every field of the memory's state; vector and payload as CRC-32s. */
    public static Map<String, String> memoriesInFull(String savepointPath) throws Exception {
        return read(savepointPath, true);
    }

    private static Map<String, String> read(String savepointPath, boolean full) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        SavepointReader reader = SavepointReader.read(env, savepointPath);
        Map<String, String> out = new HashMap<>();
        try (CloseableIterator<String> it = reader
                .readKeyedState(OperatorIdentifier.forUid(MnemoCoreJob.UID_CONSOLIDATOR), new Reader(full))
                .executeAndCollect("inspect-savepoint")) {
            it.forEachRemaining(line -> {
                int bar = line.indexOf('\t');
                out.put(line.substring(0, bar), line.substring(bar + 1));
            });
        }
        return out;
    }

    static String describe(MemoryState s) {
        return s.tier + "|" + s.accessCount + "|" + String.format(Locale.ROOT, "%.9f", s.strength) + "|" + s.writes
                + "|" + (s.hdv != null);
    }

    static String describeFully(MemoryState s) {
        return s.tier + "|access=" + s.accessCount + "|strength=" + s.strength + "|halfLifeMs=" + s.halfLifeMs
                + "|createdMs=" + s.createdMs + "|updatedMs=" + s.updatedMs + "|lastAccessMs=" + s.lastAccessMs
                + "|timerMs=" + s.timerMs + "|writes=" + s.writes + "|context=" + s.contextId + "|archive=" + s.archive
                + "|hdv=" + (s.hdv == null ? "none" : s.hdv.length + "w/" + crc(longsToBytes(s.hdv)))
                + "|payload=" + (s.payload == null ? "none" : s.payload.length + "B/" + crc(s.payload));
    }

    private static byte[] longsToBytes(long[] words) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(words.length * 8);
        b.asLongBuffer().put(words);
        return b.array();
    }

    private static String crc(byte[] bytes) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(bytes);
        return Long.toHexString(c.getValue());
    }

    static final class Reader extends KeyedStateReaderFunction<String, String> {
        private final boolean full;
        private transient ValueState<MemoryState> state;
        private transient ValueState<io.mnemocore.operators.ltp.MemoryContent> content;

        Reader(boolean full) {
            this.full = full;
        }

        @Override
        public void open(OpenContext ctx) {
            state = getRuntimeContext().getState(LtpConsolidator.stateDescriptor());
            content = getRuntimeContext().getState(LtpConsolidator.contentDescriptor());
        }

        @Override
        public void readKey(String key, Context ctx, Collector<String> out) throws Exception {
            MemoryState s = state.value();
            var c = content.value();
            if (s.hdv == null && c != null) { // content apart from the facts (written since savepoint v2)
                s.hdv = c.hdv;
                s.payload = c.payload;
            }
            out.collect(key + "\t" + (full ? describeFully(s) : describe(s)));
        }
    }
}
