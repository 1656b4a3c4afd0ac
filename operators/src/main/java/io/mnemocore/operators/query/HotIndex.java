package io.mnemocore.operators.query;

import io.mnemocore.hdv.kernel.HammingKernel;
import io.mnemocore.hdv.kernel.HammingKernels;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.operators.metrics.ScaledHistogram;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.CoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The HOT index: the searchable half. Each subtask holds, on the heap, one packed matrix per
 * tenant of the HOT memories that {@link HotStore} subtask of the same number holds in keyed
 * state, and follows its changes (adds, removals, LTP facts of accesses). Every query arrives
 * at every subtask ({@link QueryFanOut}), which answers with its own top-k for the query's tenant
 * only; {@link QueryMerger} merges them. Both inputs are hash edges ({@link IndexRoute}), so
 * checkpoints need not wait for the store's barrier here.
 *
 * <p>The matrices are not checkpointed: at each start the store sends BEGIN, every HOT memory it
 * holds, then READY, and queries that arrive before READY wait here (in operator state across a
 * checkpoint), so no query is answered from a half-built index. No keyed state lives here, so
 * this task's checkpoints copy only those waiting queries: the RocksDB snapshot that used to stop
 * the queries runs on the store's task.
 */
public final class HotIndex extends CoProcessFunction<HotChange, Query, PartialResult> implements CheckpointedFunction {
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
    private QueryPathPriority priority = QueryPathPriority.NORMAL;
    private int warmUpSearches;
    /**
     * One warm-up per loaded class: compiled code serves every subtask in the JVM that shares this
     * class, and a job submitted to a cluster gets a class loader of its own, so a warm-up of its own.
     */
    private static final java.util.concurrent.atomic.AtomicBoolean WARMED_UP = new java.util.concurrent.atomic.AtomicBoolean();

    /** Queries that came before the store's READY, in arrival order. */
    private transient List<Query> waiting;
    private transient ListState<Query> waitingState;
    private transient boolean ready;
    /** This task has seen its store's BEGIN: the READY that follows ends a whole rebuild. */
    private transient boolean rebuilding;
    private transient Map<String, HotSegment> segments;
    private transient HammingKernel kernel;
    private transient Histogram searchSeconds;
    private transient Counter queries;
    private transient Counter widened;
    private transient Counter realtimeSleeps;
    private transient long rows;
    private transient Thread warmUpThread;
    private transient volatile HotSegment.WarmUp warmUp;
    private transient int gpuFallback;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HotIndex.class);

    /**
     * @param approximate use the two-stage search for tenants with at least {@code approximateMinRows}
     *     HOT memories on a subtask; below that the exact scan costs little (0.14 ms at 1,000 rows
     *     in {@code bench search}) and is exact
     * @param marginSigmas how far behind the k-th best sketch distance a candidate is still ranked
     *     exactly, in standard deviations ({@link HotSegment#search}); 0 ranks all k x oversample, never more
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

    /** How this operator's task thread is scheduled ({@link QueryPathPriority}); normal unless set. */
    public HotIndex withPriority(QueryPathPriority priority) {
        this.priority = Objects.requireNonNull(priority);
        return this;
    }

    public QueryPathPriority priority() {
        return priority;
    }

    /**
     * At the first open in this JVM (class loader), run {@code searches} searches over made-up rows on a thread of
     * normal priority, so that the JIT compiles the search before the first queries need it; 0 = never.
     */
    public HotIndex withWarmUp(int searches) {
        if (searches < 0) {
            throw new IllegalArgumentException("warm-up searches must be at least 0, got " + searches);
        }
        this.warmUpSearches = searches;
        return this;
    }

    public int warmUpSearches() {
        return warmUpSearches;
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        // Split, not union: each subtask gets its own waiting queries back at the same parallelism;
        // after a rescale a waiting query is answered by only some subtasks, and its merge times out
        // into a degraded reply.
        waitingState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("hot-index-waiting", Query.class));
        waiting = new ArrayList<>();
        for (Query q : waitingState.get()) {
            waiting.add(q);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        waitingState.update(waiting);
    }

    @Override
    public void open(OpenContext ctx) {
        priority.applyFromFirstElement();
        segments = new HashMap<>();
        kernel = HammingKernels.create(kernelName, threads, cudaDevice, fallbackToCpu, why -> {
            LOG.warn("haim.gpu.enabled but no GPU can be used ({}); the HOT index searches on the CPU", why);
            gpuFallback = 1;
        });
        var metrics = getRuntimeContext().getMetricGroup();
        metrics.gauge("haim_gpu_fallback", () -> gpuFallback);
        searchSeconds = metrics.addGroup("tier", "hot").histogram("haim_search_latency_seconds", new ScaledHistogram(10_000, 1e-9));
        queries = metrics.counter("haim_queries_total");
        widened = metrics.counter("haim_search_widened_total");
        realtimeSleeps = metrics.counter("haim_realtime_sleeps_total");
        metrics.gauge("haim_hot_index_rows", () -> rows);
        if (warmUpSearches > 0 && WARMED_UP.compareAndSet(false, true)) {
            startWarmUp();
        }
    }

    /**
     * Cold, the search ran slow code for seconds: at 500 queries/s the JIT's one C2 thread on a
     * 2-core machine compiled the search loop only after the deserializers and the reply sink, and
     * the queries that came meanwhile waited in a backlog for up to 3.7 s (README, Figures,
     * "Twenty-third pass"). Off the task thread, so neither a start nor a restore waits for it.
     */
    private void startWarmUp() {
        int searches = warmUpSearches;
        warmUpThread = new Thread(() -> {
            long t0 = System.nanoTime();
            try (HammingKernel cpu = HammingKernels.create("cpu", threads)) {
                HotSegment.WarmUp done = HotSegment.warmUp(cpu, dim, approximate, approximateMinRows, sketchBits, oversample,
                        marginSigmas, 4096, searches, 42);
                warmUp = done;
                LOG.info("HOT index search warmed up: {} searches and {} short ones in {} ms; {} of the {} near a cluster found it first,"
                                + " {} of the short ones their row", searches, HotSegment.SHORT_SEARCHES, (System.nanoTime() - t0) / 1_000_000,
                        done.found(), done.near(), done.shortFound());
            } catch (Exception | OutOfMemoryError e) {
                LOG.warn("HOT index warm-up failed; the first queries may run before the JIT has compiled the search", e);
            }
        }, "hot-index-warm-up");
        warmUpThread.setDaemon(true);
        warmUpThread.start();
    }

    /** The warm-up this subtask started, or null (another did, or none is configured); for tests. */
    Thread warmUpThread() {
        return warmUpThread;
    }

    /** What the finished warm-up's searches found ({@link HotSegment#warmUp}); null before. */
    HotSegment.WarmUp warmUp() {
        return warmUp;
    }

    /** Lets the next open in this JVM warm up again (tests). */
    static void forgetWarmUp() {
        WARMED_UP.set(false);
    }

    @Override
    public void close() throws Exception {
        if (kernel != null) {
            kernel.close();
        }
    }

    @Override
    public void processElement1(HotChange c, Context ctx, Collector<PartialResult> out) throws Exception {
        switch (c.op) {
            case UPSERT:
                if (segment(c.tenant).upsert(c.memoryId, c.memory, c.facts)) {
                    rows++;
                }
                break;
            case REMOVE:
                HotSegment seg = segments.get(c.tenant);
                if (seg != null && seg.remove(c.memoryId)) {
                    rows--;
                }
                break;
            case TOUCH:
                HotSegment touched = segments.get(c.tenant);
                if (touched != null) {
                    touched.updateFacts(c.memoryId, c.facts);
                }
                break;
            case BEGIN:
                if (fromMyStore(c)) {
                    rebuilding = true;
                }
                break;
            case READY:
                // Only after this task has seen the rebuild begin: after a restore from an unaligned
                // checkpoint the channel may replay the tail of an earlier rebuild, READY included.
                if (fromMyStore(c) && rebuilding && !ready) {
                    ready = true;
                    for (Query q : waiting) {
                        answer(q, out);
                    }
                    waiting.clear();
                }
                break;
            default:
                throw new IllegalStateException("unknown HOT change " + c.op);
        }
        // A real-time thread that has used its share of the core lets the rest of the machine run.
        QueryPathPriority.pace(realtimeSleeps);
    }

    /**
     * A marker of the store subtask of this number at this parallelism. Another's comes only from
     * the channel state of an unaligned checkpoint restored at another parallelism.
     */
    private boolean fromMyStore(HotChange c) {
        var task = getRuntimeContext().getTaskInfo();
        if (c.store == task.getIndexOfThisSubtask() && c.stores == task.getNumberOfParallelSubtasks()) {
            return true;
        }
        LOG.warn("HOT index {}/{} ignores {} of store {}/{}", task.getIndexOfThisSubtask(), task.getNumberOfParallelSubtasks(),
                c.op, c.store, c.stores);
        return false;
    }

    private HotSegment segment(String tenant) {
        return segments.computeIfAbsent(tenant, x -> new HotSegment(dim, sketchBits));
    }

    @Override
    public void processElement2(Query q, Context ctx, Collector<PartialResult> out) throws Exception {
        if (ready) {
            answer(q, out);
        } else {
            waiting.add(q);
        }
        QueryPathPriority.pace(realtimeSleeps);
    }

    /** Queries waiting for the rebuild (for tests). */
    int waiting() {
        return waiting.size();
    }

    private void answer(Query q, Collector<PartialResult> out) {
        queries.inc();
        long t0 = System.nanoTime();
        long startUs = StageClock.nowUs();
        PartialResult r = new PartialResult();
        r.query = q;
        r.subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        r.parts = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        HotSegment seg = segments.get(q.tenant);
        if (seg == null || seg.rows() == 0 || q.hdv == null || q.hdv.length != dim / 64) {
            r.hits = new Hit[0];
        } else {
            java.util.List<Hit> predicted = null;
            if (q.predictsFromHistory()) {
                // The predicted memories this subtask holds, with their facts; the distance is the prediction's.
                // (A prediction left to its context_hdv, or topped up by it, is searched like a query, below.)
                predicted = new java.util.ArrayList<>();
                for (int i = 0; i < q.predicted.length; i++) {
                    int row = seg.rowOf(q.predicted[i]);
                    if (row >= 0) {
                        predicted.add(seg.hit(row, q.predictedDistance[i]));
                    }
                }
            }
            if (q.searchesByContent()) {
                r.approximate = approximate && seg.rows() >= approximateMinRows;
                TopK top = seg.search(kernel, q.hdv, q.k, r.approximate, oversample, marginSigmas);
                if (seg.lastWidened()) {
                    widened.inc();
                }
                r.scanned = seg.rows();
                r.hits = new Hit[top.size()];
                for (int i = 0; i < top.size(); i++) {
                    r.hits[i] = seg.hit(top.row(i), top.distance(i));
                }
            }
            if (predicted != null) {
                // A top-up's content hits after the predicted memories; one predicted is not repeated.
                for (int i = 0; r.hits != null && i < r.hits.length; i++) {
                    if (!java.util.Arrays.asList(q.predicted).contains(r.hits[i].memoryId)) {
                        predicted.add(r.hits[i]);
                    }
                }
                r.hits = predicted.toArray(new Hit[0]);
            }
        }
        long t1 = System.nanoTime();
        searchSeconds.update(t1 - t0);
        r.indexStartUs = startUs;
        r.indexEndUs = startUs + (t1 - t0) / 1_000;
        out.collect(r);
    }
}
