package io.mnemocore.jobs;

import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.edge.EdgeTypes;
import io.mnemocore.operators.ingest.DlqRecord;
import io.mnemocore.operators.ingest.EventDecoder;
import io.mnemocore.operators.ingest.EventRouter;
import io.mnemocore.operators.ingest.IngestWatermarks;
import io.mnemocore.operators.ltp.LtpConsolidator;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import io.mnemocore.operators.query.ActiveInference;
import io.mnemocore.operators.query.ContextAccess;
import io.mnemocore.operators.query.HotChange;
import io.mnemocore.operators.query.HotIndex;
import io.mnemocore.operators.query.HotStore;
import io.mnemocore.operators.query.IndexRoute;
import io.mnemocore.operators.query.MergedQuery;
import io.mnemocore.operators.query.QueryReplies;
import io.mnemocore.operators.query.QueryResults;
import io.mnemocore.operators.query.WarmFallback;
import io.mnemocore.operators.query.PartialResult;
import io.mnemocore.operators.query.Query;
import io.mnemocore.operators.query.QueryFanOut;
import io.mnemocore.operators.query.QueryMerger;
import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.query.QueryPreparer;
import io.mnemocore.operators.query.QueryReply;
import io.mnemocore.operators.query.Rerank;
import io.mnemocore.operators.redis.RedisStreamEntry;
import io.mnemocore.operators.redis.sink.EntrySerializers;
import io.mnemocore.operators.redis.sink.RedisStreamSink;
import io.mnemocore.operators.redis.source.RedisStreamSource;
import io.mnemocore.operators.tier.ColdArchive;
import io.mnemocore.operators.tier.Rehydration;
import io.mnemocore.operators.tier.Rehydrator;
import io.mnemocore.operators.tier.TierLedger;
import io.mnemocore.operators.tier.TierRouter;
import io.mnemocore.operators.tier.WarmTierWriter;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.operators.co.CoProcessOperator;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.streaming.api.transformations.TwoInputTransformation;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import java.time.Duration;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The MnemoCore job graph, wired in one place ({@link #defineWorkflow}). Tests call it with
 * their own sources and sinks; {@link #main} runs it on a Flink cluster ({@code flink run}).
 *
 * <pre>
 * Redis haim:subconscious ─ source ─ decode ─bad─▶ DLQ
 *   └─ route ─ keyBy(tenant/memory_id) ─ LtpConsolidator (RocksDB; text→HDV) ─▶ transitions ─▶ log stream
 *        │                                     ├─unknown memory─▶ DLQ
 *        │                                     ├─WARM changes ─▶ WarmTierWriter (Qdrant / embedded store; chained)
 *        │                                     ├─WARM→COLD rows, tombstones ─▶ ColdArchive FileSinks (.npy + sidecar)
 *        │                                     ├─COLD reactivations ─▶ Rehydrator (async archive read) ─▶ bus (memory.restore)
 *        │                                     ├─uses in a context (access with context_id) ─┐
 *        │                                     └─HOT updates (vectors entering, ids leaving: shipped within 5 ms) + touches (own edge)
 *        │                                               │ keyBy(tenant/memory_id) ◀─ WarmTierWriter: "WARM holds it" per memory that left HOT
 *        │                                               │                                  │ keyBy(tenant/context)
 *        │                                             HotStore (RocksDB: HOT vectors, facts)   │
 *        │                                               │ keyBy(memory key; markers: IndexRoute), the same two kinds of edge
 * Redis haim:queries ─ source ─ decode ─ route ─┐        │                                  ▼
 *        └─ query / inference.predict ──────────┴─ prepare (text→HDV; one chained to each route) ─ in a context? ─▶ ActiveInference (context and
 *                                                   │                    transition holograms; predict) ─prewarm─▶ bus
 *                                                   ▼ context-free            │ query + hologram / predictions
 *                                                 fan-out: a keyed copy per index subtask (chained to each producer)
 *                                                   ▼ keyBy(IndexRoute)
 *                                                 HotIndex (heap: per-tenant packed matrices, exact or sketch+rescore top-k)
 *                                                   └─ partial top-k ─ keyBy(query_id) ─ QueryMerger (heap) ─ WarmFallback (async
 *                                                      I/O, low confidence and predictions only) ─ QueryReplies (rerank, confidence) ─▶
 *                                                      reply_to stream; hits ─▶ bus as accesses (a prediction by
 *                                                      context_hdv's: as a prewarm trigger); keyBy(query_id) ─▶
 *                                                      QueryResults (queryable recent replies)
 *   transitions ─ TierLedger (p=1: tier counts, HOT LRU) ─ evictions ─▶ bus (consolidation.trigger)
 * </pre>
 */
public final class MnemoCoreJob {
    public static final String UID_SOURCE = "redis-source";
    public static final String UID_DECODE = "decode";
    public static final String UID_ROUTE = "route";
    public static final String UID_CONSOLIDATOR = "ltp-consolidator";
    public static final String UID_LEDGER = "tier-ledger";
    public static final String UID_QUERY_SOURCE = "redis-query-source";
    public static final String UID_QUERY_DECODE = "decode-queries";
    public static final String UID_QUERY_ROUTE = "route-queries";
    public static final String UID_QUERY_PREPARE = "prepare-query";
    /** The keyed state of the HOT index: the uid the single-operator index had, so its savepoints restore into the store. */
    public static final String UID_HOT_STORE = "hot-index";
    public static final String UID_HOT_INDEX = "hot-index-search";
    public static final String UID_QUERY_MERGER = "query-merger";
    public static final String UID_ACTIVE_INFERENCE = "active-inference";
    public static final String UID_PREWARM_SINK = "prewarm-sink";
    public static final String UID_WARM_FALLBACK = "warm-fallback";
    public static final String UID_QUERY_REPLY = "query-reply";
    public static final String UID_QUERY_RESULTS = "query-results";
    public static final String UID_REPLY_SINK = "reply-sink";
    public static final String UID_QUERY_FEEDBACK_SINK = "query-feedback-sink";
    public static final String UID_DLQ_SINK = "dlq-sink";
    public static final String UID_LOG_SINK = "transition-log-sink";
    public static final String UID_FEEDBACK_SINK = "feedback-sink";
    /** Its uid from when it was a sink, so savepoints of then still map to it. */
    public static final String UID_WARM_WRITER = "warm-tier-sink";
    public static final String UID_COLD_VECTORS_SINK = "cold-archive-vectors";
    public static final String UID_COLD_SIDECAR_SINK = "cold-archive-sidecar";
    public static final String UID_REHYDRATOR = "rehydrator";
    public static final String UID_REHYDRATE_FEEDBACK_SINK = "rehydrate-feedback-sink";

    private MnemoCoreJob() {}

    /** Where events come from. */
    public static final class Sources {
        public final Source<RedisStreamEntry, ?, ?> events;
        public final Source<RedisStreamEntry, ?, ?> queries;

        public Sources(Source<RedisStreamEntry, ?, ?> events, Source<RedisStreamEntry, ?, ?> queries) {
            this.events = events;
            this.queries = queries;
        }
    }

    /** Where results go. */
    public static final class Sinks {
        public final Sink<DlqRecord> dlq;
        public final Sink<Transition> transitions;
        public final Sink<MemoryEvent> feedback;
        public final Sink<QueryReply> replies;
        /**
         * Tier stores: WARM (Qdrant or embedded), and the COLD archive's vectors and sidecars. The
         * WARM writer is an operator: it tells the HOT store when WARM holds a memory that left HOT.
         */
        public final WarmTierWriter warm;
        public final Sink<Transition> coldVectors;
        public final Sink<Transition> coldSidecars;
        /** Pre-warm triggers of active inference, back to the bus: written at once, so they land before the predicted use. */
        public final Sink<MemoryEvent> prewarm;

        public Sinks(Sink<DlqRecord> dlq, Sink<Transition> transitions, Sink<MemoryEvent> feedback, Sink<QueryReply> replies,
                     WarmTierWriter warm, Sink<Transition> coldVectors, Sink<Transition> coldSidecars, Sink<MemoryEvent> prewarm) {
            this.dlq = dlq;
            this.transitions = transitions;
            this.feedback = feedback;
            this.replies = replies;
            this.warm = warm;
            this.coldVectors = coldVectors;
            this.coldSidecars = coldSidecars;
            this.prewarm = prewarm;
        }
    }

    public static Sources redisSources(JobSettings s) {
        return new Sources(new RedisStreamSource(s.sourceOptions()),
                new RedisStreamSource(s.queryOptions()).withFetcherPriority(queryPathPriority(s.config)));
    }

    /** Redis streams for the bus, DLQ, log and replies; the configured WARM store and COLD archive for the tiers. */
    public static Sinks productionSinks(JobSettings s) {
        long maxLen = s.config.getLong("haim.redis.output_maxlen");
        int batch = s.config.getInt("haim.redis.batch_size");
        // Batched writers send a partial batch after this too: at a trickle of queries their fed-back
        // accesses (LTP, active inference's context) and the DLQ's records must not wait a checkpoint.
        long delay = s.config.getLong("haim.redis.output_max_delay_ms");
        return new Sinks(
                new RedisStreamSink<>(s.redis, new EntrySerializers.Dlq(s.config.getString("haim.redis.dlq_stream")), maxLen, batch, 8, delay),
                new RedisStreamSink<>(s.redis, new EntrySerializers.TransitionLog(s.config.getString("haim.redis.transitions_stream")), maxLen, batch, 8,
                        delay),
                // Never trim the input stream: that would delete entries the job has not read yet.
                new RedisStreamSink<>(s.redis, new EntrySerializers.Events(s.streamKey(), s.codec), 0, batch, 8, delay),
                // A reply is written as soon as it exists (batch of 1): a waiting client must not wait for a checkpoint.
                new RedisStreamSink<>(s.redis, new EntrySerializers.Replies(), maxLen, 1, 8),
                new WarmTierWriter(s.warmSpec(), s.config.getInt("haim.tiers.warm.batch_size"), s.config.getLong("haim.tiers.warm.max_delay_ms")),
                ColdArchive.vectorSink(s.coldBase(), s.config.dimensionality()),
                ColdArchive.sidecarSink(s.coldBase(), s.config.dimensionality()),
                new RedisStreamSink<>(s.redis, new EntrySerializers.Events(s.streamKey(), s.codec), 0, 1, 8));
    }

    /** Checkpointing, parallelism and uid rules shared by every way of running the job. */
    public static void configure(StreamExecutionEnvironment env, JobSettings s) {
        env.enableCheckpointing(s.config.getLong("haim.job.checkpoint_interval_ms"), CheckpointingMode.EXACTLY_ONCE);
        if (s.config.getBool("haim.job.unaligned_checkpoints")) {
            // Aligned, a task stops reading an input from its barrier until every input's barrier
            // is in, and the HOT index stops its queries until the HOT updates' barrier has queued
            // through consolidator and store (10-30 ms a checkpoint). Unaligned, barriers overtake
            // records on the keyed edges on the way. Flink keeps forward and broadcast edges, and
            // every input of a task with one, aligned: the index's inputs are keyed (IndexRoute).
            // Timeout 0: unaligned from the start. Savepoints are aligned.
            env.getCheckpointConfig().enableUnalignedCheckpoints(true);
            env.getCheckpointConfig().setAlignedCheckpointTimeout(Duration.ZERO);
        }
        // Chained operators hand records on without a serializer copy (the query's vector and each
        // hit's fields were copied at every link of the merger chain: ~9% of a query's garbage).
        // Safe here: every operator emits objects it created for that emit and never changes them
        // afterwards, no chained operator keeps an input past its call (the async operators, WARM
        // search and rehydration, copy their input themselves), and network inputs always
        // deserialize fresh objects. JobGraphTest holds the flag; keep to those rules in new
        // operators.
        env.getConfig().enableObjectReuse();
        env.setMaxParallelism(s.config.getInt("haim.job.max_parallelism"));
        int p = s.config.getInt("haim.job.parallelism");
        if (p > 0) {
            env.setParallelism(p);
        }
        // Savepoint compatibility rests on explicit uids; fail the build of the graph if one is missing.
        env.getConfig().disableAutoGeneratedUIDs();
    }

    public static void defineWorkflow(StreamExecutionEnvironment env, JobSettings s, Sources sources, Sinks sinks) {
        long delay = s.config.getLong("haim.job.max_event_delay_ms");
        long idle = s.config.getLong("haim.job.idle_timeout_ms");
        DataStream<RedisStreamEntry> entries = env
                .fromSource(sources.events, IngestWatermarks.strategy(delay, idle), "redis-streams")
                .uid(UID_SOURCE);

        SingleOutputStreamOperator<MemoryEvent> decoded = entries
                .process(new EventDecoder(s.codec)).name("decode").uid(UID_DECODE);
        SingleOutputStreamOperator<MemoryEvent> routed = decoded
                .process(new EventRouter(), EdgeTypes.MEMORY_EVENT).name("route").uid(UID_ROUTE);

        // Queries have their own stream and source; queries sent on the main stream are served too,
        // and anything else sent on the query stream still reaches the consolidator.
        SingleOutputStreamOperator<MemoryEvent> decodedQueries = env
                .fromSource(sources.queries, IngestWatermarks.strategy(delay, idle), "redis-queries").uid(UID_QUERY_SOURCE)
                .process(new EventDecoder(s.codec)).name("decode-queries").uid(UID_QUERY_DECODE);
        SingleOutputStreamOperator<MemoryEvent> queryStream = decodedQueries
                .process(new EventRouter(), EdgeTypes.MEMORY_EVENT).name("route-queries").uid(UID_QUERY_ROUTE)
                .setBufferTimeout(0); // latency-bound: ship each buffer at once, not after the bulk path's 100 ms

        SingleOutputStreamOperator<Transition> transitions = routed.union(queryStream)
                .keyBy(EventRouter::key)
                .process(new LtpConsolidator(s.ltp, s.encoder, s.codec, s.config.getInt("haim.tiers.cold.rows_per_file")), EdgeTypes.TRANSITION)
                .name("ltp-consolidator").uid(UID_CONSOLIDATOR);

        // The WARM writer, chained to the consolidator: its word that WARM holds a memory that left
        // HOT goes to the HOT store, which keeps the memory searchable until then (HotStore).
        SingleOutputStreamOperator<Transition> warmStored = transitions.getSideOutput(TierRouter.WARM_UPDATES)
                .transform("warm-tier", EdgeTypes.TRANSITION, sinks.warm).uid(UID_WARM_WRITER)
                .setBufferTimeout(s.config.getLong("haim.job.hot_changes_buffer_timeout_ms"));
        SingleOutputStreamOperator<MemoryEvent> restores = tiers(s, transitions, sinks);

        // Each rejected entry from the operator that rejects it: a side output read from another
        // operator is empty (the query stream's bad entries were dropped that way).
        decoded.getSideOutput(EventDecoder.DLQ)
                .union(decodedQueries.getSideOutput(EventDecoder.DLQ), transitions.getSideOutput(LtpConsolidator.REJECTED),
                        restores.getSideOutput(REHYDRATION_ERRORS))
                .sinkTo(sinks.dlq).name("dlq").uid(UID_DLQ_SINK);

        transitions.filter(t -> t.kind != TransitionKind.HOT_TOUCH).name("audit-filter").uid("audit-filter")
                .sinkTo(sinks.transitions).name("transition-log").uid(UID_LOG_SINK);

        SingleOutputStreamOperator<QueryReply> replies = serveQueries(s, routed, queryStream, transitions, warmStored, sinks);
        replies.sinkTo(sinks.replies).name("replies").uid(UID_REPLY_SINK);
        // Hits go back to the bus from a writer chained to each merger subtask: no shuffle, and the
        // ledger's single writer (parallelism 1) stays out of the query path.
        replies.getSideOutput(QueryReplies.FEEDBACK)
                .sinkTo(sinks.feedback).name("query-feedback").uid(UID_QUERY_FEEDBACK_SINK);

        transitions
                .process(new TierLedger(s.config.getInt("haim.tiers.hot.max_memories"), s.config.getInt("haim.codec.max_memory_ids")))
                .name("tier-ledger").uid(UID_LEDGER).setParallelism(1).setMaxParallelism(1)
                // A chain's max parallelism is its head's: chained behind the consolidator (job
                // parallelism 1) the ledger's state would be saved with 128 and then fail to map
                // to its own max parallelism of 1 when the job is rescaled from that savepoint.
                .startNewChain()
                .sinkTo(sinks.feedback).name("feedback").uid(UID_FEEDBACK_SINK).setParallelism(1).setMaxParallelism(1);
    }

    private static final OutputTag<DlqRecord> REHYDRATION_ERRORS = new OutputTag<>("rehydration-errors") {};

    /**
     * The COLD archive and the rehydrator. Each sink is chained to the consolidator (forward, same
     * parallelism), as is the WARM writer, so one memory's updates arrive in order and the archive
     * rows in the order their locations were given.
     * Reactivated COLD memories are read back asynchronously and return to the consolidator as
     * memory.restore events on the bus; unreadable archives go to the DLQ.
     */
    private static SingleOutputStreamOperator<MemoryEvent> tiers(JobSettings s, SingleOutputStreamOperator<Transition> transitions, Sinks sinks) {
        transitions.getSideOutput(TierRouter.ARCHIVE_ROWS).sinkTo(sinks.coldVectors).name("cold-archive-vectors").uid(UID_COLD_VECTORS_SINK);
        transitions.getSideOutput(TierRouter.SIDECAR_ROWS).sinkTo(sinks.coldSidecars).name("cold-archive-sidecars").uid(UID_COLD_SIDECAR_SINK);
        long grace = s.config.getLong("haim.tiers.cold.rehydrate_grace_ms");
        SingleOutputStreamOperator<MemoryEvent> restores = AsyncDataStream.unorderedWait(
                        transitions.getSideOutput(TierRouter.REACTIVATIONS),
                        new Rehydrator(s.coldBase(), s.config.dimensionality(), grace, s.config.getInt("haim.tiers.cold.rehydrate_threads")),
                        // Past this the store is taken as down: the job fails and restarts from its checkpoint.
                        grace + 120_000, TimeUnit.MILLISECONDS, 100)
                .name("rehydrator").uid(UID_REHYDRATOR)
                .process(new ProcessFunction<Rehydration, MemoryEvent>() {
                    @Override
                    public void processElement(Rehydration r, Context ctx, Collector<MemoryEvent> out) {
                        if (r.restore != null) {
                            out.collect(r.restore);
                        } else {
                            ctx.output(REHYDRATION_ERRORS, r.error);
                        }
                    }
                }).name("rehydrated").uid("rehydration-split");
        restores.sinkTo(sinks.feedback).name("rehydrate-feedback").uid(UID_REHYDRATE_FEEDBACK_SINK);
        return restores;
    }

    /**
     * The read path: queries are encoded once; those with a context (and every inference.predict)
     * pick up their context's holograms from active inference; all go to every HOT index
     * subtask (which follows the consolidator's HOT changes, keyed the same way), answered there per
     * tenant, merged by query_id, searched in WARM when HOT is not confident, and reranked into one
     * reply. Merger, WARM search and reply are chained: one network hop after the index.
     */
    private static SingleOutputStreamOperator<QueryReply> serveQueries(JobSettings s, SingleOutputStreamOperator<MemoryEvent> routed,
            SingleOutputStreamOperator<MemoryEvent> queryStream, SingleOutputStreamOperator<Transition> transitions,
            DataStream<Transition> warmStored, Sinks sinks) {
        MnemoConfig c = s.config;
        int dim = c.dimensionality();
        // Each query source's preparer and filters are chained to its router: no task hop (and no
        // thread wake-up) between the Redis read and the edge to the index. Queries sent on the
        // bus stream (a legacy path) ride its bulk chain, with its buffer timeout.
        // Both sources' threads, active inference's (a query in a context waits for it), the index's
        // and the merger chain's go ahead of checkpoint work (QueryPathPriority). The bus's carries each query's fed-back hits on their way to the
        // index; raised too, query p99 was lower in three of four alternating pairs (README, Figures).
        // But not real-time: it reads every bulk write, and a real-time thread with work keeps its
        // core from the query threads of the same real-time priority until it runs out of input.
        QueryPathPriority priority = queryPathPriority(c);
        PreparedQueries fromQueryStream = prepare(queryStream, s, "", 0L, priority);
        PreparedQueries fromBus = prepare(routed, s, "-bus", -1L, priority.withoutRealtime());
        SingleOutputStreamOperator<Query> inferred = transitions.getSideOutput(LtpConsolidator.CONTEXT_ACCESSES)
                .keyBy(a -> ContextAccess.key(a.tenant, a.contextId))
                .connect(fromQueryStream.inContext.union(fromBus.inContext).keyBy(q -> ContextAccess.key(q.tenant, q.contextId)))
                .transform("active-inference", TypeInformation.of(Query.class), new ActiveInference.Operator(new ActiveInference(dim,
                        c.getInt("haim.inference.window"), c.getBool("haim.inference.enabled"), c.getBool("haim.inference.prewarm"))
                        .withPriority(priority)))
                .uid(UID_ACTIVE_INFERENCE)
                .setBufferTimeout(0);
        inferred.getSideOutput(ActiveInference.PREWARM).sinkTo(sinks.prewarm).name("prewarm").uid(UID_PREWARM_SINK);
        // Context-free queries skip that hop. Every query goes to every index subtask, one keyed copy
        // each, fanned out in its producer's task (IndexRoute says why not a broadcast).
        int maxParallelism = c.getInt("haim.job.max_parallelism");
        DataStream<Query> queries = fanOut(fromQueryStream.contextFree, maxParallelism, "", 0L)
                .union(fanOut(fromBus.contextFree, maxParallelism, "-bus", -1L), fanOut(inferred, maxParallelism, "-inferred", 0L));
        // The store (keyed state, RocksDB) and the searchable index (heap only) are two tasks, so
        // the store's synchronous snapshot never stops a query (HotStore). A memory's changes keep
        // its key, so store subtask i feeds index subtask i, which needs the READY of exactly that store.
        // Adds and removals ship within haim.job.hot_changes_buffer_timeout_ms on both hops (a
        // write is searchable that much sooner); the touches, one per hit fed back, fill buffers
        // on edges of their own at the job's buffer timeout. Sharing the adds' edges at 5 ms, they
        // raised query p99 (README, Figures). The WARM writer's word that WARM holds a memory that
        // left HOT ships within the same timeout. The edges do not keep one memory's order:
        // HotStore says why that is safe.
        long hotChangesTimeout = c.getLong("haim.job.hot_changes_buffer_timeout_ms");
        SingleOutputStreamOperator<HotChange> hotSet = shippedWithin(transitions.getSideOutput(LtpConsolidator.HOT_UPDATES),
                        EdgeTypes.TRANSITION, hotChangesTimeout, "hot-updates-out")
                .union(transitions.getSideOutput(LtpConsolidator.HOT_TOUCHES), warmStored)
                .keyBy(t -> EventRouter.key(t.tenant, t.memoryId))
                .transform("hot-store", EdgeTypes.HOT_CHANGE, new HotStore())
                .uid(UID_HOT_STORE);
        DataStream<HotChange> hotChanges = shippedWithin(hotSet, EdgeTypes.HOT_CHANGE, hotChangesTimeout, "hot-changes-out")
                .union(hotSet.getSideOutput(HotStore.TOUCHES));
        HotIndex index = new HotIndex(dim, c.getBool("haim.gpu.enabled") ? "cuda" : c.getString("haim.search.kernel"),
                c.getInt("haim.search.threads"), Integer.parseInt(c.getString("haim.gpu.device").substring(5)),
                c.getBool("haim.gpu.fallback_to_cpu"),
                c.getString("haim.search.mode").equals("approximate"), Math.min(dim, c.getInt("haim.search.sketch_bits")),
                c.getInt("haim.search.oversample"), c.getDouble("haim.search.sketch_margin_sigmas"),
                c.getInt("haim.search.approximate_min_rows")).withPriority(priority)
                .withWarmUp(c.getInt("haim.search.warmup_searches"));
        SingleOutputStreamOperator<PartialResult> partials = hotChanges.keyBy((HotChange h) -> IndexRoute.of(h), Types.STRING)
                .connect(queries.keyBy((Query q) -> IndexRoute.of(q), Types.STRING))
                .transform("hot-index", EdgeTypes.PARTIAL_RESULT, new CoProcessOperator<>(index))
                .uid(UID_HOT_INDEX)
                .setBufferTimeout(0);
        withoutKeyedState(partials);
        // Routed by query_id only: the merger holds its few open merges on the heap and has no keyed
        // backend at all, so no RocksDB snapshot stops the reply path (QueryMerger).
        SingleOutputStreamOperator<MergedQuery> merged = partials
                .keyBy(p -> p.query.queryId)
                .transform("query-merger", TypeInformation.of(MergedQuery.class), new QueryMerger(c.getLong("haim.search.merge_timeout_ms"))
                        .withPriority(priority))
                .uid(UID_QUERY_MERGER);
        withoutKeyedState(merged);
        int confidenceBits = s.confidenceThresholdBits();
        // Low confidence: WARM, through async I/O.
        WarmFallback warm = new WarmFallback(s.warmSpec(), c.getBool("haim.search.warm_fallback"), confidenceBits,
                c.getLong("haim.search.warm_timeout_ms"), c.getInt("haim.search.warm_threads"),
                c.getInt("haim.search.warm_breaker_failures"), c.getLong("haim.search.warm_breaker_reset_s") * 1000)
                .withPriority(priority);
        SingleOutputStreamOperator<MergedQuery> searched = AsyncDataStream.unorderedWait(merged, warm, warm.operatorTimeoutMs(),
                        TimeUnit.MILLISECONDS, 100)
                .name("warm-fallback").uid(UID_WARM_FALLBACK);
        Rerank rerank = new Rerank(dim, s.ltp, c.getDouble("haim.search.weight_similarity"), c.getDouble("haim.search.weight_ltp"),
                c.getDouble("haim.search.weight_recency"), c.getDouble("haim.search.recency_half_life_hours"),
                c.getDouble("haim.search.weight_context"));
        // The reply and feedback writers are chained to this stage; its only network output is the
        // copy for the result store, which can wait for the default buffer timeout (no per-reply flush).
        SingleOutputStreamOperator<QueryReply> replies = searched
                .process(new QueryReplies(rerank, dim, confidenceBits)
                        .withPrewarm(c.getBool("haim.inference.prewarm")), EdgeTypes.QUERY_REPLY)
                .name("query-reply").uid(UID_QUERY_REPLY);
        // Queryable recent replies, on their own task: its RocksDB snapshots delay no reply.
        replies.keyBy(r -> r.queryId)
                .process(new QueryResults(c.getLong("haim.search.result_ttl_s") * 1000))
                .name("query-results").uid(UID_QUERY_RESULTS);
        return replies;
    }

    /**
     * Keeps the key-group routing of the edge into {@code op} but gives the operator no keyed state
     * backend. Flink builds a RocksDB instance for every operator behind a keyBy, and takes a native
     * RocksDB checkpoint of it at every checkpoint even when it holds no state: on the merger that
     * stopped every reply for 12–29 ms per checkpoint (debug log, {@code bench query}). A custom
     * partitioner would avoid the backend too, but Flink then refuses unaligned checkpoints. Uses
     * the transformation's internal setters; {@code JobGraphTest} fails if they stop working.
     */
    static void withoutKeyedState(SingleOutputStreamOperator<?> op) {
        if (op.getTransformation() instanceof TwoInputTransformation<?, ?, ?> two) {
            two.setStateKeySelectors(null, null);
            two.setStateKeyType(null);
        } else {
            OneInputTransformation<?, ?> t = (OneInputTransformation<?, ?>) op.getTransformation();
            t.setStateKeySelector(null);
            t.setStateKeyType(null);
        }
    }

    /**
     * {@code in}, passed on unchanged by an operator chained to its producer: its edge to the next
     * task ships a buffer within {@code timeoutMs} (an edge ships on its producer's timeout), while
     * the producer's other edges keep theirs.
     */
    private static <T> SingleOutputStreamOperator<T> shippedWithin(DataStream<T> in, TypeInformation<T> type, long timeoutMs, String name) {
        return in.map(x -> x, type).name(name).uid(name).setBufferTimeout(timeoutMs);
    }

    /**
     * One copy of each query per HOT index subtask, chained to the producer of {@code queries}.
     * {@code bufferTimeout} 0 ships each query at once (an edge ships on its producer's timeout);
     * -1 keeps the chain's default.
     */
    private static DataStream<Query> fanOut(DataStream<Query> queries, int maxParallelism, String suffix, long bufferTimeout) {
        SingleOutputStreamOperator<Query> copies = queries.flatMap(new QueryFanOut(maxParallelism), EdgeTypes.QUERY)
                .name("fan-out" + suffix).uid("query-fan-out" + suffix);
        return bufferTimeout >= 0 ? copies.setBufferTimeout(bufferTimeout) : copies;
    }

    /** One router's prepared queries, split by whether active inference sees them first. */
    private static final class PreparedQueries {
        final DataStream<Query> inContext;
        final DataStream<Query> contextFree;

        PreparedQueries(DataStream<Query> inContext, DataStream<Query> contextFree) {
            this.inContext = inContext;
            this.contextFree = contextFree;
        }
    }

    /** How the query path's task threads are scheduled: {@code haim.search.thread_priority}, {@code realtime_priority} and its budget. */
    static QueryPathPriority queryPathPriority(MnemoConfig c) {
        return new QueryPathPriority(c.getInt("haim.search.thread_priority"), c.getInt("haim.search.realtime_priority"),
                c.getInt("haim.search.realtime_budget_window_ms"), c.getDouble("haim.search.realtime_budget_share"),
                c.getDouble("haim.search.realtime_budget_share_compiling"));
    }

    /**
     * Encodes the queries of one router's QUERIES side output, chained to it, and splits them into
     * those for active inference (a context, or inference.predict) and the context-free rest.
     * {@code bufferTimeout} 0 ships each query for active inference at once; -1 keeps the chain's default.
     */
    private static PreparedQueries prepare(SingleOutputStreamOperator<MemoryEvent> router, JobSettings s, String suffix, long bufferTimeout,
            QueryPathPriority priority) {
        SingleOutputStreamOperator<Query> prepared = router.getSideOutput(EventRouter.QUERIES)
                .process(new QueryPreparer(s.encoder).withPriority(priority), EdgeTypes.QUERY).name("prepare-query" + suffix).uid(UID_QUERY_PREPARE + suffix);
        SingleOutputStreamOperator<Query> inContext = prepared.filter(q -> q.contextId != null || q.isPredict())
                .name("in-context" + suffix).uid("in-context-filter" + suffix);
        SingleOutputStreamOperator<Query> contextFree = prepared.filter(q -> q.contextId == null && !q.isPredict())
                .name("context-free" + suffix).uid("context-free-filter" + suffix);
        if (bufferTimeout >= 0) {
            // An edge ships on its producer's timeout: this filter produces the edge to active inference.
            inContext.setBufferTimeout(bufferTimeout);
        }
        return new PreparedQueries(inContext, contextFree);
    }

    /** {@code flink run mnemocore-jobs-*-job.jar [--config FILE] [--set key=value]... [--data-dir DIR]}; DIR holds relative tier paths (default: the working directory). */
    public static void main(String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        java.nio.file.Path dataDir = o.pathOpt("--data-dir", null);
        o.done("--data-dir DIR");
        JobSettings s = new JobSettings(o.config(), dataDir);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, s);
        defineWorkflow(env, s, redisSources(s), productionSinks(s));
        env.execute("mnemocore");
    }

}
