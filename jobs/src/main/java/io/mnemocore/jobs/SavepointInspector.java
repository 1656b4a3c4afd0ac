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
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        SavepointReader reader = SavepointReader.read(env, savepointPath);
        Map<String, String> out = new HashMap<>();
        try (CloseableIterator<String> it = reader
                .readKeyedState(OperatorIdentifier.forUid(MnemoCoreJob.UID_CONSOLIDATOR), new Reader())
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

    static final class Reader extends KeyedStateReaderFunction<String, String> {
        private transient ValueState<MemoryState> state;

        @Override
        public void open(OpenContext ctx) {
            state = getRuntimeContext().getState(LtpConsolidator.stateDescriptor());
        }

        @Override
        public void readKey(String key, Context ctx, Collector<String> out) throws Exception {
            out.collect(key + "\t" + describe(state.value()));
        }
    }
}
