package io.mnemocore.operators.query;

import io.mnemocore.hdv.Bundler;
import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Active inference, keyed by (tenant, context_id). It follows the memories used in each context
 * (accesses that name the context, from the consolidator) and keeps the last {@code window} of
 * them ({@link ContextTrace}). Every memory stands for its <em>item vector</em>, a random HDV
 * seeded by (tenant, memory_id): independent of its content, so the holograms hold as many
 * memories as possible, and known for every tier, COLD included, without reading a vector.
 * <ul>
 *   <li>The <b>context hologram</b> H = majority bundle of the item vectors of the recent uses. It
 *       travels with each query of the context (not with predictions, which are not reranked), and
 *       the rerank scores a hit's similarity to it ({@link Rerank}).</li>
 *   <li>The <b>transition hologram</b> T = majority bundle of ρ(item(a)) ⊕ item(b) over every pair of
 *       consecutive uses a → b (ρ: rotate by one bit). For the last use x, T ⊕ ρ(item(x)) lies
 *       close to the item of whatever followed x before, and near D/2 from everything else.</li>
 * </ul>
 * {@code inference.predict} walks T from the last use as many steps as accesses are expected in
 * its {@code prediction_window} (from the context's access rate), keeps each step's nearest
 * memory while it is clearly closer than chance, and adds the first step's runners-up up to k.
 * The predicted memories go on with the query (the HOT index and WARM tier fill in their facts)
 * and, on {@link #PREWARM}, to the consolidator as a {@code prewarm} trigger: WARM ones move to
 * HOT, COLD ones are rehydrated, HOT ones are refreshed in the LRU, before they are asked for.
 * Where the history predicts nothing (the blueprint's event names no context_id, or the context
 * has no clear transition yet), the prediction is left to its {@code context_hdv}
 * ({@link Query#predictsByContent}): the HOT index and the WARM tier (always) search it, and
 * {@link QueryReplies} predicts and pre-warms the memories clearly nearer to it than chance. Where
 * the history predicts fewer than k, the same search fills the rest ({@link Query#contentTopUp}).
 */
public final class ActiveInference extends KeyedCoProcessFunction<String, ContextAccess, Query, Query> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<MemoryEvent> PREWARM = new OutputTag<>("prewarm") {};
    /** In the heap's traces: the context has no state (none yet, or emptied by deletions). */
    private static final ContextTrace NONE = new ContextTrace(0);

    private final int dim;
    private final int window;
    private final boolean enabled;
    private final boolean prewarm;
    private QueryPathPriority priority = QueryPathPriority.NORMAL;

    private transient ValueState<ContextTrace> trace;
    /**
     * Item vectors by "tenant/memory_id", least recently used first, at most {@link #cachedItems}:
     * made anew, the 64 of a window were 58% of the bytes this operator allocated, query after query
     * of the same contexts (README, Figures, "Twenty-fourth pass").
     */
    private transient LinkedHashMap<String, long[]> itemCache;
    /**
     * The traces of recently used contexts, by key, least recently used first; {@link #NONE} for a
     * context with no state. Every query in a context brings ten uses back, and reading and
     * writing the whole trace in RocksDB for each made this task the query path's bottleneck
     * (README, Figures, "Twenty-fourth pass"): the changed ones ({@link #dirty}) are written once,
     * before the next checkpoint's barrier ({@link #flush}), so every snapshot holds them.
     */
    private transient LinkedHashMap<String, ContextTrace> traces;
    private transient Set<String> dirty;
    private transient int keepTraces;
    private transient Counter realtimeSleeps;
    private transient Counter predictions;
    private transient Counter predicted;
    private transient Counter prewarms;
    private transient Counter predictedByContent;
    private transient Counter toppedUpByContent;

    /** @param enabled false: queries pass through untouched and predictions come back empty (the graph keeps its shape for savepoints) */
    public ActiveInference(int dim, int window, boolean enabled, boolean prewarm) {
        if (window < 2) {
            throw new IllegalArgumentException("the inference window must hold at least 2 uses");
        }
        this.dim = dim;
        this.window = window;
        this.enabled = enabled;
        this.prewarm = prewarm;
    }

    /** How this operator's task thread is scheduled ({@link QueryPathPriority}): a query in a context waits for it. */
    public ActiveInference withPriority(QueryPathPriority priority) {
        this.priority = Objects.requireNonNull(priority);
        return this;
    }

    public QueryPathPriority priority() {
        return priority;
    }

    /** How many clean traces stay on the heap: about 32 MB of them (~80 bytes a use), never fewer than 256. */
    static int cachedTraces(int window) {
        return Math.max(256, (32 << 20) / (80 * window));
    }

    /** How many item vectors the cache keeps: about 8 MB of them, and never fewer than 256. */
    static int cachedItems(int dim) {
        return Math.max(256, (8 << 20) / (dim / 8));
    }

    public static ValueStateDescriptor<ContextTrace> traceDescriptor() {
        return new ValueStateDescriptor<>("context-trace", ContextTrace.class);
    }

    /** The item vector of a memory: random, seeded by (tenant, memory_id), the same everywhere. */
    public static long[] item(String tenant, String memoryId, int dim) {
        return Hdv.random(dim, itemSeed(tenant, memoryId)).words();
    }

    /** The Hamming distance between a memory's {@link #item} vector and {@code v}, without making the vector. */
    public static int itemDistance(String tenant, String memoryId, long[] v, int dim) {
        return Hdv.hammingToRandom(dim, itemSeed(tenant, memoryId), v);
    }

    /** The seed of a memory's item vector (as {@link Hdv#fromId} seeds the id "tenant/memory_id"). */
    private static long itemSeed(String tenant, String memoryId) {
        return SplitMix64.hash(tenant + "/" + memoryId);
    }

    @Override
    public void open(OpenContext ctx) {
        priority.applyFromFirstElement();
        int capacity = cachedItems(dim);
        itemCache = new LinkedHashMap<>(2 * capacity, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
                return size() > capacity;
            }
        };
        trace = getRuntimeContext().getState(traceDescriptor());
        keepTraces = cachedTraces(window);
        dirty = new HashSet<>();
        traces = new LinkedHashMap<>(2 * keepTraces, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ContextTrace> eldest) {
                // A changed trace stays until it is written; the map then shrinks back (flush).
                return size() > keepTraces && !dirty.contains(eldest.getKey());
            }
        };
        var m = getRuntimeContext().getMetricGroup();
        predictions = m.counter("haim_predictions_total");
        predicted = m.counter("haim_predicted_memories_total");
        prewarms = m.counter("haim_prewarm_requests_total");
        predictedByContent = m.counter("haim_predictions_by_content_total");
        toppedUpByContent = m.counter("haim_predictions_topped_up_total");
        realtimeSleeps = m.counter("haim_realtime_sleeps_total");
    }

    /** The item vector of a memory, from the cache (shared: never written). */
    long[] cachedItem(String tenant, String memoryId) {
        String key = tenant + "/" + memoryId;
        long[] v = itemCache.get(key);
        if (v == null) {
            v = item(tenant, memoryId, dim);
            itemCache.put(key, v);
        }
        return v;
    }

    /** Item vectors in the cache (tests). */
    int cachedItemCount() {
        return itemCache.size();
    }

    @Override
    public void processElement1(ContextAccess a, Context ctx, Collector<Query> out) throws Exception {
        record(a, ctx.getCurrentKey());
        // Ten uses come back for every query in a context: a real-time thread that has used its
        // share of the core lets the rest of the machine run (as after each query, below).
        QueryPathPriority.pace(realtimeSleeps);
    }

    private void record(ContextAccess a, String key) throws Exception {
        if (!enabled) {
            return;
        }
        ContextTrace t = load(key);
        if (a.deleted) {
            if (t != null && t.remove(a.memoryId)) {
                changed(key, t.size == 0 ? NONE : t);
            }
            return;
        }
        if (t == null) {
            t = new ContextTrace(window);
        }
        t.add(a.memoryId, a.atMs);
        changed(key, t);
    }

    /** The trace of the current key: from the heap, else from state (null: none). */
    private ContextTrace load(String key) throws Exception {
        ContextTrace t = traces.get(key);
        if (t == null) {
            t = trace.value();
            traces.put(key, t == null ? NONE : t);
        }
        return t == NONE ? null : t;
    }

    private void changed(String key, ContextTrace t) {
        dirty.add(key);
        traces.put(key, t);
    }

    /**
     * Writes every changed trace to keyed state, each under its key ({@code setKey} makes it the
     * current one): called by {@link Operator} before each checkpoint's barrier, so every snapshot
     * holds what the heap knew.
     */
    void flush(Consumer<String> setKey) throws Exception {
        for (String key : dirty) {
            setKey.accept(key);
            ContextTrace t = traces.get(key);
            if (t == NONE) {
                trace.clear();
            } else {
                // A copy: a heap state backend would keep the very object, which goes on changing
                // here while its snapshot is written.
                trace.update(t.copy());
            }
        }
        dirty.clear();
        var it = traces.entrySet().iterator();
        while (traces.size() > keepTraces && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    /**
     * The operator that runs {@link ActiveInference}: a {@link KeyedCoProcessOperator} that
     * writes the function's changed traces to keyed state before each snapshot barrier.
     */
    public static final class Operator extends KeyedCoProcessOperator<String, ContextAccess, Query, Query> {
        private static final long serialVersionUID = 1L;

        public Operator(ActiveInference fn) {
            super(fn);
        }

        @Override
        public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
            super.prepareSnapshotPreBarrier(checkpointId);
            ((ActiveInference) getUserFunction()).flush(this::setCurrentKey);
        }
    }

    @Override
    public void processElement2(Query q, Context ctx, Collector<Query> out) throws Exception {
        ContextTrace t = enabled ? load(ctx.getCurrentKey()) : null;
        if (t != null && t.size > 0) {
            // Each distinct memory's item vector once per query, shared by both holograms.
            Map<String, long[]> items = new LinkedHashMap<>();
            for (int i = 0; i < t.size; i++) {
                String id = t.id(i);
                if (!items.containsKey(id)) {
                    items.put(id, cachedItem(q.tenant, id));
                }
            }
            if (q.isPredict()) {
                predict(q, t, items, ctx); // predictions are not reranked: no context hologram to carry
            } else {
                q.contextHologram = contextHologram(t, items);
            }
        }
        if (q.isPredict() && (q.predicted == null || q.predicted.length == 0)) {
            // The history predicts nothing (no context, no uses yet, nothing clearly above chance):
            // the memories nearest to the context_hdv answer instead, unless it is all zeros, which
            // says that the sender has no context vector (the Java client and the examples send that).
            boolean byContent = enabled && q.hdv != null && !allZero(q.hdv);
            q.predicted = byContent ? null : new String[0];
            q.predictedDistance = byContent ? null : new int[0];
            if (byContent) {
                predictedByContent.inc();
            }
        } else if (q.isPredict() && q.predicted.length < q.k && enabled && q.hdv != null && !allZero(q.hdv)) {
            // A history that predicts fewer than k: the context_hdv's nearest memories fill the rest.
            q.contentTopUp = true;
            toppedUpByContent.inc();
        }
        out.collect(q);
        QueryPathPriority.pace(realtimeSleeps);
    }

    private static boolean allZero(long[] v) {
        for (long w : v) {
            if (w != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The distance under which a prediction counts: 6σ below the chance distance D/2 of unrelated
     * vectors, for the history's walk and for the nearest memories of a context_hdv alike.
     */
    public static int chanceCut(int dim) {
        return dim / 2 - (int) Math.ceil(6 * Math.sqrt(dim) / 2);
    }

    /** Majority bundle of the items of the recent uses (a memory used twice counts twice). */
    long[] contextHologram(ContextTrace t, Map<String, long[]> items) {
        Bundler b = new Bundler(dim);
        for (int i = 0; i < t.size; i++) {
            b.addWords(items.get(t.id(i)));
        }
        return b.majority().words();
    }

    private void predict(Query q, ContextTrace t, Map<String, long[]> items, Context ctx) {
        predictions.inc();
        Bundler pairs = new Bundler(dim);
        for (int i = 0; i + 1 < t.size; i++) {
            if (!t.id(i).equals(t.id(i + 1))) {
                pairs.add(Hdv.wrap(dim, items.get(t.id(i))).permute(1).bind(Hdv.wrap(dim, items.get(t.id(i + 1)))));
            }
        }
        List<String> ids = new ArrayList<>();
        List<Integer> dists = new ArrayList<>();
        if (pairs.count() > 0) {
            Hdv transitions = pairs.majority();
            int steps = stepsIn(q.k, t, q.predictionWindowMs);
            int chance = chanceCut(dim);
            String from = t.id(t.size - 1);
            List<Map.Entry<String, Integer>> firstStep = null;
            for (int s = 0; s < steps && ids.size() < q.k; s++) {
                long[] p = transitions.bind(Hdv.wrap(dim, items.get(from)).permute(1)).words();
                List<Map.Entry<String, Integer>> ranked = rank(items, p);
                if (firstStep == null) {
                    firstStep = ranked;
                }
                Map.Entry<String, Integer> best = null;
                for (Map.Entry<String, Integer> e : ranked) {
                    if (e.getValue() < chance && !ids.contains(e.getKey())) {
                        best = e;
                        break;
                    }
                }
                if (best == null) {
                    break;
                }
                ids.add(best.getKey());
                dists.add(best.getValue());
                from = best.getKey();
            }
            for (Map.Entry<String, Integer> e : firstStep) {
                if (ids.size() >= q.k || e.getValue() >= chance) {
                    break;
                }
                if (!ids.contains(e.getKey())) {
                    ids.add(e.getKey());
                    dists.add(e.getValue());
                }
            }
        }
        q.predicted = ids.toArray(new String[0]);
        q.predictedDistance = dists.stream().mapToInt(Integer::intValue).toArray();
        predicted.inc(ids.size());
        if (prewarm && !ids.isEmpty()) {
            prewarms.inc();
            ctx.output(PREWARM, prewarmTrigger(q, q.predicted));
        }
    }

    /** The consolidation.trigger that brings predicted memories to HOT before they are asked for (not a use). */
    static MemoryEvent prewarmTrigger(Query q, String[] memoryIds) {
        MemoryEvent e = new MemoryEvent();
        e.type = EventType.CONSOLIDATION_TRIGGER;
        e.tenant = q.tenant;
        e.tier = "prewarm";
        e.memoryIds = memoryIds.clone();
        e.timestamp = q.receivedMs;
        return e;
    }

    /** Accesses expected within the window at the context's recent rate (at least one). */
    static int stepsIn(int k, ContextTrace t, long windowMs) {
        if (t.size < 2 || windowMs <= 0) {
            return 1;
        }
        double gap = (double) (t.at(t.size - 1) - t.at(0)) / (t.size - 1);
        if (gap <= 0) {
            return k;
        }
        return (int) Math.min(k, Math.max(1, Math.ceil(windowMs / gap)));
    }

    /** Every item by its distance to {@code p}, nearest first (ties by memory id). */
    private static List<Map.Entry<String, Integer>> rank(Map<String, long[]> items, long[] p) {
        List<Map.Entry<String, Integer>> out = new ArrayList<>(items.size());
        for (Map.Entry<String, long[]> e : items.entrySet()) {
            out.add(Map.entry(e.getKey(), Hdv.hamming(e.getValue(), p)));
        }
        out.sort(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()));
        return out;
    }
}
