package io.mnemocore.operators.query;

import io.mnemocore.operators.metrics.ScaledHistogram;
import io.mnemocore.operators.tier.CircuitBreaker;
import io.mnemocore.operators.tier.WarmHit;
import io.mnemocore.operators.tier.WarmPoint;
import io.mnemocore.operators.tier.WarmTier;
import io.mnemocore.operators.tier.WarmTierSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * The blueprint's WARM fallback, through Flink async I/O: a query whose best HOT hit is not closer
 * than the confidence threshold also searches the WARM tier (Qdrant, or the embedded store), and
 * the two tiers' hits are merged by distance (so are those of every prediction left to its
 * context_hdv, confident or not); an
 * {@code inference.predict} from history looks up the predicted memories the HOT index did not
 * hold (and searches too when its context_hdv tops it up). Everything else passes straight through.
 *
 * <p>The WARM call runs on a small pool, bounded by the async operator's timeout and guarded by a
 * circuit breaker: a timeout, an error or an open breaker answers from HOT alone, with the reason
 * in {@link MergedQuery#warmError}, so the reply says it is degraded. A query is never lost or
 * held back beyond the timeout because WARM is down.
 */
public final class WarmFallback extends RichAsyncFunction<MergedQuery, MergedQuery> {
    private static final long serialVersionUID = 1L;

    private final WarmTierSpec spec;
    private final boolean enabled;
    private final int confidenceThresholdBits;
    private final long timeoutMs;
    private final int threads;
    private final int breakerFailures;
    private final long breakerResetMs;

    private QueryPathPriority priority = QueryPathPriority.NORMAL;
    private transient volatile WarmTier warm;
    private transient boolean closed;
    private transient ExecutorService pool;
    private transient CircuitBreaker breaker;
    private transient Histogram searchSeconds;
    private transient Counter asked;
    private transient Counter failed;
    private transient Counter realtimeSleeps;

    /**
     * @param spec the WARM store; the query path makes one attempt per call, with {@code timeoutMs} as its deadline
     * @param enabled false: every query passes straight through, WARM is never asked
     * @param breakerFailures consecutive failures (timeouts included) that open the breaker for {@code breakerResetMs}
     */
    public WarmFallback(WarmTierSpec spec, boolean enabled, int confidenceThresholdBits, long timeoutMs, int threads,
                        int breakerFailures, long breakerResetMs) {
        this.spec = spec.forQueries(timeoutMs);
        this.enabled = enabled;
        this.confidenceThresholdBits = confidenceThresholdBits;
        this.timeoutMs = timeoutMs;
        this.threads = threads;
        this.breakerFailures = breakerFailures;
        this.breakerResetMs = breakerResetMs;
    }

    /** How the pool's threads, on the query path, are scheduled ({@link QueryPathPriority}); normal unless set. */
    public WarmFallback withPriority(QueryPathPriority priority) {
        this.priority = Objects.requireNonNull(priority);
        return this;
    }

    public QueryPathPriority priority() {
        return priority;
    }

    /** The async operator's timeout: the WARM call's deadline plus room for the hand-over. */
    public long operatorTimeoutMs() {
        return timeoutMs + 50;
    }

    @Override
    public void open(OpenContext ctx) {
        breaker = new CircuitBreaker(breakerFailures, breakerResetMs);
        // On the query path, but the merger chain's real-time policy is not inherited: they take it
        // themselves, each running chrt after its first search. Started here, with the store opened, because
        // on the first WARM-bound query that took ~100 ms (README, Figures, "Twenty-third pass").
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                priority.threads("warm-fallback"));
        p.prestartAllCoreThreads();
        pool = p;
        pool.execute(() -> {
            try {
                store();
            } catch (Exception e) {
                // Not reachable yet: the first query that needs it tries again, and reports it.
            }
        });
        var m = getRuntimeContext().getMetricGroup();
        searchSeconds = m.addGroup("tier", "warm").histogram("haim_search_latency_seconds", new ScaledHistogram(10_000, 1e-9));
        asked = m.counter("haim_warm_fallback_total");
        realtimeSleeps = m.counter("haim_realtime_sleeps_total", new ThreadSafeSimpleCounter()); // the pool's threads share it
        failed = m.counter("haim_warm_fallback_failures_total");
    }

    @Override
    public void close() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
        }
        // The pool may be opening the store right now (open() asked it to): no store opens after this.
        synchronized (this) {
            closed = true;
            WarmTier w = warm;
            warm = null; // a close that throws is not tried again by the task's clean-up
            if (w != null) {
                w.close();
            }
        }
    }

    /**
     * Low confidence for a query; predicted memories not found in HOT for a prediction from history;
     * always for a prediction by content or topped up by content, which is for the memories not yet
     * HOT (however near the HOT ones are: the memory in use is itself HOT, at distance 0).
     */
    boolean needsWarm(MergedQuery m) {
        if (!enabled) {
            return false;
        }
        if (m.query.predictsFromHistory()) {
            return m.query.contentTopUp || m.hits.length < m.query.predicted.length;
        }
        if (m.query.predictsByContent()) {
            return m.query.hdv != null;
        }
        return m.query.hdv != null && m.bestDistance() >= confidenceThresholdBits;
    }

    @Override
    public void asyncInvoke(MergedQuery m, ResultFuture<MergedQuery> rf) {
        if (!needsWarm(m)) {
            rf.complete(List.of(m));
            return;
        }
        asked.inc();
        m.warmAsked = true;
        if (!breaker.allow(System.currentTimeMillis())) {
            failed.inc();
            m.warmError = "WARM circuit breaker open after " + breakerFailures + " failures";
            rf.complete(List.of(m));
            return;
        }
        try {
            pool.execute(() -> {
                long t0 = System.nanoTime();
                try {
                    MergedQuery done = withWarm(m, store());
                    breaker.success();
                    searchSeconds.update(System.nanoTime() - t0);
                    rf.complete(List.of(done));
                } catch (Exception e) {
                    breaker.failure(System.currentTimeMillis());
                    failed.inc();
                    MergedQuery hotOnly = m.copy();
                    hotOnly.warmError = "WARM search failed: " + e.getMessage();
                    rf.complete(List.of(hotOnly));
                } finally {
                    // A real-time pool thread keeps to its budget between searches (an embedded
                    // store's scan is CPU), and takes its policy back if RealtimeGuard had taken it.
                    QueryPathPriority.pace(realtimeSleeps);
                }
            });
        } catch (RejectedExecutionException e) {
            m.warmError = "WARM search not started: " + e.getMessage();
            rf.complete(List.of(m));
        }
    }

    @Override
    public void timeout(MergedQuery m, ResultFuture<MergedQuery> rf) {
        breaker.failure(System.currentTimeMillis());
        failed.inc();
        MergedQuery hotOnly = m.copy();
        hotOnly.warmError = "WARM search timed out after " + timeoutMs + " ms";
        rf.complete(List.of(hotOnly)); // a WARM answer that comes later is dropped by the operator
    }

    /** Threads of the WARM search pool that have started (tests). */
    int poolThreads() {
        return ((ThreadPoolExecutor) pool).getPoolSize();
    }

    /** Whether the WARM store has been opened (tests). */
    boolean storeOpen() {
        return warm != null;
    }

    private WarmTier store() throws java.io.IOException {
        WarmTier w = warm;
        if (w == null) {
            synchronized (this) {
                if (closed) {
                    throw new java.io.IOException("the WARM search is closed");
                }
                if (warm == null) {
                    warm = spec.open();
                }
                w = warm;
            }
        }
        return w;
    }

    /** A new result with the WARM hits merged in (the input is shared with the timeout handler, so it stays untouched). */
    static MergedQuery withWarm(MergedQuery m, WarmTier warm) throws java.io.IOException {
        Query q = m.query;
        List<Hit> all = new ArrayList<>(Arrays.asList(m.hits));
        Set<String> seen = new HashSet<>();
        for (Hit h : m.hits) {
            seen.add(h.memoryId);
        }
        if (q.predictsFromHistory()) {
            for (int i = 0; i < q.predicted.length; i++) {
                if (!seen.contains(q.predicted[i])) {
                    WarmPoint p = warm.get(q.tenant, q.predicted[i]);
                    if (p != null) {
                        all.add(hit(p, q.predictedDistance[i]));
                        seen.add(p.memoryId);
                    }
                }
            }
        }
        if (q.searchesByContent()) {
            for (WarmHit w : warm.search(q.tenant, q.hdv, q.k)) {
                // A memory caught between tiers may be in both; HOT's copy is the current one.
                if (!seen.contains(w.point.memoryId)) {
                    all.add(hit(w.point, w.distance));
                }
            }
        }
        MergedQuery out = m.copy();
        out.hits = QueryMerger.kept(q, all.toArray(new Hit[0]));
        return out;
    }

    private static Hit hit(WarmPoint p, int distance) {
        return Hit.of(p.memoryId, distance, "warm", p.strength, p.updatedMs, p.halfLifeMs, p.lastAccessMs, p.contextId, p.payload);
    }
}
