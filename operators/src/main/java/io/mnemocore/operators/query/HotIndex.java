package io.mnemocore.operators.query;

import io.mnemocore.hdv.kernel.HammingKernel;
import io.mnemocore.hdv.kernel.HammingKernels;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.operators.ingest.EventRouter;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import io.mnemocore.operators.metrics.ScaledHistogram;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The HOT index. Keyed like the consolidator (tenant/memory_id), it follows the consolidator's
 * tier changes: a memory that becomes HOT (with its vector) is added, one that leaves HOT is
 * removed, a HOT access refreshes its LTP facts. Each subtask keeps its HOT memories in keyed
 * state and, in memory, one packed matrix per tenant. Queries arrive broadcast, so every subtask
 * answers with its own top-k for the query's tenant only; {@link QueryMerger} merges them.
 *
 * <p>The in-memory matrices are not checkpointed: after a restore they are rebuilt from keyed
 * state ({@code applyToKeyedState}) when the first query arrives, without replaying any events.
 *
 * <p>Keyed state is written only when a memory enters or leaves HOT. The LTP facts of HOT accesses
 * (one per returned hit) stay on the heap; those of memories touched since their HOT add are
 * checkpointed as one packed operator-state entry per subtask. Written to RocksDB, they filled
 * the memtable whose flush in the synchronous part of each checkpoint stopped the queries
 * (64–169 ms with them, 19–70 ms without; README, Known gaps). The entry is union state, so a
 * rescaled subtask keeps the keys of its own key groups; keyed facts are the fallback (a memory
 * never touched, or a savepoint taken before this entry existed).
 */
public final class HotIndex extends KeyedBroadcastProcessFunction<String, Transition, Query, PartialResult>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    private final int dim;
    private final String kernelName;
    private final int threads;
    private final int cudaDevice;
    private final boolean fallbackToCpu;
    private final boolean approximate;
    private final int sketchBits;
    private final int oversample;
    private final double marginSigmas;
    private final int approximateMinRows;

    private transient ValueState<HotMemory> state;
    /** LTP facts as of the HOT add: membership for touches, and the fallback after a restore. */
    private transient ValueState<HotFacts> facts;
    private transient ListState<byte[]> latestFacts;
    /**
     * Facts newer than keyed state, by key: only these are checkpointed. Once the matrices are
     * built the values are the very objects their rows hold.
     */
    private transient Map<String, HotFacts> touched;
    private transient Map<String, HotSegment> segments;
    private transient boolean loaded;
    private transient HammingKernel kernel;
    private transient Histogram searchSeconds;
    private transient Counter queries;
    private transient long rows;
    private transient int gpuFallback;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HotIndex.class);

    /**
     * @param approximate use the two-stage search for tenants with at least {@code approximateMinRows}
     *     HOT memories on a subtask; below that the exact scan is as fast
     * @param marginSigmas how far behind the k-th best sketch distance a candidate is still ranked
     *     exactly, in standard deviations ({@link HotSegment#search}); 0 ranks all k x oversample
     */
    public HotIndex(int dim, String kernelName, int threads, boolean approximate, int sketchBits, int oversample,
                    double marginSigmas, int approximateMinRows) {
        this(dim, kernelName, threads, 0, true, approximate, sketchBits, oversample, marginSigmas, approximateMinRows);
    }

    /**
     * @param kernelName "cuda" uses the GPU kernel on {@code cudaDevice}; without a usable GPU it falls
     *     back to the CPU kernel when {@code fallbackToCpu}, logging one line and setting
     *     {@code haim_gpu_fallback}, and fails otherwise
     */
    public HotIndex(int dim, String kernelName, int threads, int cudaDevice, boolean fallbackToCpu, boolean approximate,
                    int sketchBits, int oversample, double marginSigmas, int approximateMinRows) {
        if (sketchBits % 64 != 0 || sketchBits <= 0 || sketchBits > dim) {
            throw new IllegalArgumentException("sketch bits must be a positive multiple of 64 up to " + dim);
        }
        this.dim = dim;
        this.kernelName = kernelName;
        this.cudaDevice = cudaDevice;
        this.fallbackToCpu = fallbackToCpu;
        this.threads = threads;
        this.approximate = approximate;
        this.sketchBits = sketchBits;
        this.oversample = oversample;
        this.marginSigmas = marginSigmas;
        this.approximateMinRows = approximateMinRows;
    }

    public static ValueStateDescriptor<HotMemory> stateDescriptor() {
        return new ValueStateDescriptor<>("hot-memory", HotMemory.class);
    }

    static ValueStateDescriptor<HotFacts> factsDescriptor() {
        return new ValueStateDescriptor<>("hot-facts", HotFacts.class);
    }

    static final String LATEST_FACTS = "hot-facts-latest";

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        // A fresh start has nothing to rebuild: the matrices follow the transitions from the first one.
        loaded = !ctx.isRestored();
        touched = new HashMap<>();
        latestFacts = ctx.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>(LATEST_FACTS, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        if (ctx.isRestored()) {
            var task = getRuntimeContext().getTaskInfo();
            for (byte[] packed : latestFacts.get()) {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(packed));
                for (int i = in.readInt(); i > 0; i--) {
                    String key = in.readUTF();
                    HotFacts f = new HotFacts();
                    f.strength = in.readDouble();
                    f.updatedMs = in.readLong();
                    f.halfLifeMs = in.readDouble();
                    f.lastAccessMs = in.readLong();
                    if (KeyGroupRangeAssignment.assignKeyToParallelOperator(key, task.getMaxNumberOfParallelSubtasks(),
                            task.getNumberOfParallelSubtasks()) == task.getIndexOfThisSubtask()) {
                        touched.put(key, f);
                    }
                }
            }
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        // Keyed state holds the vectors and membership; the facts of accesses since are packed here.
        latestFacts.clear();
        latestFacts.add(encodeFacts());
    }

    private byte[] encodeFacts() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * touched.size() + 16);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(touched.size());
        for (Map.Entry<String, HotFacts> e : touched.entrySet()) {
            HotFacts f = e.getValue();
            out.writeUTF(e.getKey());
            out.writeDouble(f.strength);
            out.writeLong(f.updatedMs);
            out.writeDouble(f.halfLifeMs);
            out.writeLong(f.lastAccessMs);
        }
        out.flush();
        return bytes.toByteArray();
    }

    @Override
    public void open(OpenContext ctx) {
        state = getRuntimeContext().getState(stateDescriptor());
        facts = getRuntimeContext().getState(factsDescriptor());
        if (segments == null) {
            segments = new HashMap<>();
        }
        kernel = HammingKernels.create(kernelName, threads, cudaDevice, fallbackToCpu, why -> {
            LOG.warn("haim.gpu.enabled but no GPU can be used ({}); the HOT index searches on the CPU", why);
            gpuFallback = 1;
        });
        var metrics = getRuntimeContext().getMetricGroup();
        metrics.gauge("haim_gpu_fallback", () -> gpuFallback);
        searchSeconds = metrics.addGroup("tier", "hot").histogram("haim_search_latency_seconds", new ScaledHistogram(10_000, 1e-9));
        queries = metrics.counter("haim_queries_total");
        metrics.gauge("haim_hot_index_rows", () -> rows);
    }

    @Override
    public void close() throws Exception {
        if (kernel != null) {
            kernel.close();
        }
    }

    @Override
    public void processElement(Transition t, ReadOnlyContext ctx, Collector<PartialResult> out) throws Exception {
        String key = ctx.getCurrentKey();
        if (t.kind == TransitionKind.HOT_TOUCH) {
            // Membership first: a touch can overtake the removal it follows (they travel different
            // edges), and must not leave facts behind for a memory that has left HOT. Once the
            // matrices are built they answer that without a state read.
            HotSegment seg = loaded ? segments.get(EventRouter.tenantOf(key)) : null;
            if (loaded ? seg != null && seg.rowOf(EventRouter.memoryIdOf(key)) >= 0 : facts.value() != null) {
                HotFacts f = HotFacts.of(t);
                if (loaded) {
                    seg.updateFacts(EventRouter.memoryIdOf(key), f);
                }
                touched.put(key, f);
            }
        } else if (t.toTier == Tier.HOT && t.hdv != null) {
            HotMemory m = new HotMemory();
            m.hdv = t.hdv;
            m.payload = t.payload;
            m.contextId = t.contextId;
            HotFacts f = HotFacts.of(t);
            state.update(m);
            facts.update(f);
            touched.remove(key);
            if (loaded && segment(EventRouter.tenantOf(key)).upsert(EventRouter.memoryIdOf(key), m, f)) {
                rows++;
            }
        } else if (t.fromTier == Tier.HOT && t.toTier != Tier.HOT) {
            state.clear();
            facts.clear();
            touched.remove(key);
            if (loaded && segment(EventRouter.tenantOf(key)).remove(EventRouter.memoryIdOf(key))) {
                rows--;
            }
        }
    }

    private HotSegment segment(String tenant) {
        return segments.computeIfAbsent(tenant, x -> new HotSegment(dim, sketchBits));
    }

    @Override
    public void processBroadcastElement(Query q, Context ctx, Collector<PartialResult> out) throws Exception {
        if (!loaded) {
            rows = 0;
            ctx.applyToKeyedState(factsDescriptor(), (key, st) -> {
                HotFacts f = st.value();
                HotMemory m = state.value(); // the current key is the one being visited
                if (f != null && m != null) {
                    segment(EventRouter.tenantOf(key)).upsert(EventRouter.memoryIdOf(key), m, touched.getOrDefault(key, f));
                    rows++;
                }
            });
            loaded = true;
        }
        queries.inc();
        long t0 = System.nanoTime();
        PartialResult r = new PartialResult();
        r.query = q;
        r.subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        r.parts = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        HotSegment seg = segments.get(q.tenant);
        if (seg == null || seg.rows() == 0 || q.hdv == null || q.hdv.length != dim / 64) {
            r.hits = new Hit[0];
        } else if (q.isPredict()) {
            // The predicted memories this subtask holds, with their facts; the distance is the prediction's.
            java.util.List<Hit> found = new java.util.ArrayList<>();
            for (int i = 0; q.predicted != null && i < q.predicted.length; i++) {
                int row = seg.rowOf(q.predicted[i]);
                if (row >= 0) {
                    found.add(hit(seg, row, q.predictedDistance[i]));
                }
            }
            r.hits = found.toArray(new Hit[0]);
        } else {
            r.approximate = approximate && seg.rows() >= approximateMinRows;
            TopK top = seg.search(kernel, q.hdv, q.k, r.approximate, oversample, marginSigmas);
            r.scanned = seg.rows();
            r.hits = new Hit[top.size()];
            for (int i = 0; i < top.size(); i++) {
                r.hits[i] = hit(seg, top.row(i), top.distance(i));
            }
        }
        searchSeconds.update(System.nanoTime() - t0);
        out.collect(r);
    }

    private static Hit hit(HotSegment seg, int row, int distance) {
        HotFacts f = seg.facts(row);
        HotMemory c = seg.content(row);
        return Hit.of(seg.id(row), distance, "hot", f.strength, f.updatedMs, f.halfLifeMs, f.lastAccessMs, c.contextId, c.payload);
    }
}
