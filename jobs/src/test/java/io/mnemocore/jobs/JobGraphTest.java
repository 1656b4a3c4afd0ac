package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.edge.EdgeSerializers;
import io.mnemocore.operators.query.ActiveInference;
import io.mnemocore.operators.query.HotIndex;
import io.mnemocore.operators.query.QueryMerger;
import io.mnemocore.operators.query.QueryPathPriority;
import io.mnemocore.operators.query.QueryPreparer;
import io.mnemocore.operators.query.WarmFallback;
import io.mnemocore.operators.redis.source.RedisStreamSource;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.partitioner.CustomPartitionerWrapper;
import org.junit.jupiter.api.Test;

/** The shape of the job graph that no operator test sees (built here, never run). */
class JobGraphTest {

    static StreamGraph graph(String... extra) {
        // Building the graph opens no connection; the address is never dialled.
        JobSettings s = JobTestSupport.settings("redis://127.0.0.1:1", extra);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        MnemoCoreJob.configure(env, s);
        MnemoCoreJob.defineWorkflow(env, s, MnemoCoreJob.redisSources(s), MnemoCoreJob.productionSinks(s));
        return env.getStreamGraph();
    }

    static List<StreamEdge> edges(StreamGraph g) {
        List<StreamEdge> all = new ArrayList<>();
        for (StreamNode n : g.getStreamNodes()) {
            all.addAll(n.getOutEdges());
        }
        return all;
    }

    static StreamNode node(StreamGraph g, String name) {
        return g.getStreamNodes().stream().filter(n -> n.getOperatorName().equals(name)).findFirst().orElseThrow();
    }

    /** Flink refuses unaligned checkpoints for a graph with a custom partitioner. */
    @Test
    void noCustomPartitionerSoUnalignedCheckpointsStayPossible() {
        assertThat(edges(graph())).noneMatch(e -> e.getPartitioner() instanceof CustomPartitionerWrapper);
    }

    /**
     * Unaligned from the first barrier by default, so barriers overtake the records queued on the
     * keyed (hash) edges. Flink 2.3 keeps forward and broadcast edges, and every input of a node
     * that has one, aligned: the HOT index's two inputs are hash edges, so its checkpoint no longer
     * waits for the store's barrier (IndexRoute).
     */
    @Test
    void checkpointsAreUnalignedUnlessConfiguredOtherwise() {
        StreamGraph g = graph();
        assertThat(g.getCheckpointConfig().isUnalignedCheckpointsEnabled()).isTrue();
        assertThat(g.getCheckpointConfig().getAlignedCheckpointTimeout()).isZero();
        for (String keyed : List.of("ltp-consolidator", "hot-store", "hot-index", "query-merger", "query-results")) {
            assertThat(node(g, keyed).getInEdges()).as(keyed).isNotEmpty()
                    .allSatisfy(e -> assertThat(e.supportsUnalignedCheckpoints()).as(e.toString()).isTrue());
        }
        assertThat(graph("haim.job.unaligned_checkpoints=false").getCheckpointConfig().isUnalignedCheckpointsEnabled()).isFalse();
    }

    /**
     * Chained operators pass records on uncopied (MnemoCoreJob.configure says why that is safe);
     * the ITCases run every chain of this graph with it.
     */
    @Test
    void chainedOperatorsReuseObjects() {
        assertThat(graph().getExecutionConfig().isObjectReuseEnabled()).isTrue();
    }

    /**
     * The busiest network edges carry their own serializers (EdgeTypes); the async operators,
     * which checkpoint their in-flight inputs, keep the POJO serializer their savepoints hold.
     */
    @Test
    void busyEdgesCarryTheirOwnSerializersAndCheckpointedInputsKeepThePojoOne() {
        StreamGraph g = graph();
        assertThat(node(g, "ltp-consolidator").getTypeSerializersIn()[0]).isInstanceOf(EdgeSerializers.MemoryEvents.class);
        assertThat(node(g, "hot-store").getTypeSerializersIn()[0]).isInstanceOf(EdgeSerializers.Transitions.class);
        assertThat(node(g, "tier-ledger").getTypeSerializersIn()[0]).isInstanceOf(EdgeSerializers.Transitions.class);
        assertThat(node(g, "hot-index").getTypeSerializersIn()[0]).isInstanceOf(EdgeSerializers.HotChanges.class);
        assertThat(node(g, "hot-index").getTypeSerializersIn()[1]).isInstanceOf(EdgeSerializers.Queries.class);
        assertThat(node(g, "active-inference").getTypeSerializersIn()[1]).isInstanceOf(EdgeSerializers.Queries.class);
        assertThat(node(g, "query-merger").getTypeSerializersIn()[0]).isInstanceOf(EdgeSerializers.PartialResults.class);
        assertThat(node(g, "query-results").getTypeSerializersIn()[0]).isInstanceOf(EdgeSerializers.Replies.class);
        assertThat(node(g, "warm-fallback").getTypeSerializersIn()[0]).isInstanceOf(PojoSerializer.class);
        assertThat(node(g, "rehydrator").getTypeSerializersIn()[0]).isInstanceOf(PojoSerializer.class);
    }

    /**
     * The reply path keeps no RocksDB state: the merger's key is for routing only (its merges are
     * operator state, and it has no keyed backend), and the reply stage is not keyed. The queryable store is keyed, downstream.
     */
    @Test
    void replyPathOperatorsHoldNoKeyedStateExceptTheResultStore() {
        StreamGraph g = graph();
        assertThat(node(g, "query-merger").getStatePartitioners()).as("no keyed backend on the merger").isEmpty();
        assertThat(node(g, "query-merger").getStateKeySerializer()).isNull();
        assertThat(node(g, "query-merger").getInEdges()).allSatisfy(e -> assertThat(e.getPartitioner())
                .as("partials still meet by query_id").isInstanceOf(org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner.class));
        assertThat(node(g, "hot-index").getStatePartitioners()).as("no keyed backend on the HOT index").isEmpty();
        assertThat(node(g, "hot-index").getStateKeySerializer()).isNull();
        assertThat(node(g, "hot-index").getInEdges()).hasSize(5).allSatisfy(e -> assertThat(e.getPartitioner())
                .isInstanceOf(org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner.class));
        assertThat(node(g, "query-reply").getStatePartitioners()).isEmpty();
        assertThat(node(g, "warm-fallback").getStatePartitioners()).isEmpty();
        assertThat(node(g, "query-results").getStatePartitioners()).isNotEmpty();
        StreamNode results = node(g, "query-results");
        assertThat(results.getInEdges()).singleElement()
                .satisfies(e -> assertThat(g.getStreamNode(e.getSourceId()).getOperatorName()).isEqualTo("query-reply"));
    }

    /**
     * HOT adds and removals ship within haim.job.hot_changes_buffer_timeout_ms on both hops to the
     * index; the touches, on edges of their own, at the job's buffer timeout (Flink's 100 ms here);
     * the bulk path into the consolidator keeps it too.
     */
    @Test
    void hotAddsAndRemovalsShipSoonerThanTouches() {
        for (long timeout : new long[] {5, 0, 40}) {
            StreamGraph g = timeout == 5 ? graph() : graph("haim.job.hot_changes_buffer_timeout_ms=" + timeout);
            List<String> seen = new ArrayList<>();
            for (String task : List.of("hot-store", "hot-index")) {
                for (StreamEdge e : node(g, task).getInEdges()) {
                    String from = g.getStreamNode(e.getSourceId()).getOperatorName();
                    if (from.equals("hot-updates-out") || from.equals("hot-changes-out") || from.equals("warm-tier")) {
                        assertThat(e.getBufferTimeout()).as(from).isEqualTo(timeout);
                    } else if (e.getOutputTag() != null && e.getOutputTag().getId().equals("hot-touches")) {
                        assertThat(e.getBufferTimeout()).as(from + " touches").isEqualTo(100);
                    } else {
                        continue;
                    }
                    seen.add(task + "<" + from);
                }
            }
            assertThat(seen).containsExactlyInAnyOrder("hot-store<hot-updates-out", "hot-store<ltp-consolidator",
                    "hot-store<warm-tier", "hot-index<hot-changes-out", "hot-index<hot-store");
            assertThat(node(g, "ltp-consolidator").getInEdges()).isNotEmpty().allSatisfy(e -> assertThat(e.getBufferTimeout())
                    .as(g.getStreamNode(e.getSourceId()).getOperatorName()).isIn(100L, 0L));
        }
    }

    /**
     * The WARM writer runs in the consolidator's task (one memory's updates in order, no copy of
     * each 2 KB vector over the network), with the configured batching, and its word that WARM holds
     * a memory reaches the HOT store.
     */
    @Test
    void theWarmWriterIsChainedToTheConsolidatorAndTellsTheHotStore() {
        StreamGraph g = graph("haim.tiers.warm.batch_size=17", "haim.tiers.warm.max_delay_ms=33");
        var writer = (io.mnemocore.operators.tier.WarmTierWriter) operator(g, "warm-tier");
        assertThat(writer.batchSize()).isEqualTo(17);
        assertThat(writer.maxDelayMs()).isEqualTo(33);
        assertThat(node(g, "warm-tier").getInEdges()).singleElement()
                .satisfies(e -> assertThat(g.getStreamNode(e.getSourceId()).getOperatorName()).isEqualTo("ltp-consolidator"));
        assertThat(node(g, "warm-tier").getOutEdges()).singleElement()
                .satisfies(e -> assertThat(g.getStreamNode(e.getTargetId()).getOperatorName()).isEqualTo("hot-store"));
        var vertices = new ArrayList<org.apache.flink.runtime.jobgraph.JobVertex>();
        g.getJobGraph().getVertices().forEach(vertices::add);
        assertThat(vertices).anySatisfy(v -> assertThat(v.getName()).startsWith("ltp-consolidator").contains("warm-tier"));
    }

    /** A query goes from the Redis read to its copies for the index subtasks in one task: no hop, no wake-up in between. */
    @Test
    void queriesArePreparedInTheirSourcesTask() {
        var job = graph().getJobGraph();
        var vertices = new ArrayList<org.apache.flink.runtime.jobgraph.JobVertex>();
        job.getVertices().forEach(vertices::add);
        assertThat(vertices).anySatisfy(v -> assertThat(v.getName())
                .startsWith("Source: redis-queries").contains("prepare-query").contains("context-free").contains("in-context")
                .contains("fan-out"));
        assertThat(vertices).anySatisfy(v -> assertThat(v.getName())
                .startsWith("Source: redis-streams").contains("prepare-query-bus").contains("fan-out-bus"));
        assertThat(vertices).anySatisfy(v -> assertThat(v.getName()).startsWith("active-inference").contains("fan-out-inferred"));
        assertThat(vertices).noneSatisfy(v -> assertThat(v.getName()).startsWith("prepare-query"));
    }

    /**
     * The sources' and the query path's task threads go ahead of checkpoint work; the bus's
     * source, which reads every bulk write, gets the Java priority but not the real-time one.
     */
    @Test
    void queryPathThreadsGetTheConfiguredPriority() {
        StreamGraph g = graph();
        QueryPathPriority raised = new QueryPathPriority(10, 1);
        assertThat(((QueryPreparer) udf(g, "prepare-query")).priority()).isEqualTo(raised);
        assertThat(((QueryPreparer) udf(g, "prepare-query-bus")).priority()).isEqualTo(new QueryPathPriority(10, 0));
        assertThat(((HotIndex) udf(g, "hot-index")).priority()).isEqualTo(raised);
        assertThat(((QueryMerger) operator(g, "query-merger")).priority()).isEqualTo(raised);
        assertThat(warmFallback(g).priority()).isEqualTo(raised);
        // A query in a context waits for active inference (README, Figures, "Twenty-fourth pass").
        assertThat(((ActiveInference) udf(g, "active-inference")).priority()).isEqualTo(raised);
        JobSettings s = JobTestSupport.settings("redis://127.0.0.1:1");
        assertThat(((RedisStreamSource) MnemoCoreJob.redisSources(s).queries).fetcherPriority()).isEqualTo(raised);
        assertThat(((RedisStreamSource) MnemoCoreJob.redisSources(s).events).fetcherPriority()).isEqualTo(QueryPathPriority.NORMAL);
        StreamGraph javaOnly = graph("haim.search.realtime_priority=0");
        assertThat(((QueryPreparer) udf(javaOnly, "prepare-query")).priority()).isEqualTo(new QueryPathPriority(10, 0));
        assertThat(((HotIndex) udf(javaOnly, "hot-index")).priority()).isEqualTo(new QueryPathPriority(10, 0));
        assertThat(warmFallback(javaOnly).priority()).isEqualTo(new QueryPathPriority(10, 0));
        StreamGraph other = graph("haim.search.thread_priority=7", "haim.search.realtime_priority=20");
        assertThat(((QueryPreparer) udf(other, "prepare-query")).priority()).isEqualTo(new QueryPathPriority(7, 20));
        assertThat(((HotIndex) udf(other, "hot-index")).priority()).isEqualTo(new QueryPathPriority(7, 20));
        StreamGraph tuned = graph("haim.search.realtime_budget_window_ms=20", "haim.search.realtime_budget_share=0.6",
                "haim.search.realtime_budget_share_compiling=0.3");
        assertThat(((HotIndex) udf(tuned, "hot-index")).priority()).isEqualTo(new QueryPathPriority(10, 1, 20, 0.6, 0.3));
        assertThat(((QueryPreparer) udf(tuned, "prepare-query-bus")).priority()).isEqualTo(new QueryPathPriority(10, 0, 20, 0.6, 0.3));
        StreamGraph normal = graph("haim.search.thread_priority=5", "haim.search.realtime_priority=0");
        assertThat(((QueryPreparer) udf(normal, "prepare-query")).priority()).isEqualTo(QueryPathPriority.NORMAL);
        assertThat(((QueryPreparer) udf(normal, "prepare-query-bus")).priority()).isEqualTo(QueryPathPriority.NORMAL);
        assertThat(((HotIndex) udf(normal, "hot-index")).priority()).isEqualTo(QueryPathPriority.NORMAL);
        assertThat(((QueryMerger) operator(normal, "query-merger")).priority()).isEqualTo(QueryPathPriority.NORMAL);
    }

    /** The HOT index warms its search up with the configured number of searches; 0 turns it off. */
    @Test
    void theHotIndexWarmsUpAsConfigured() {
        assertThat(((HotIndex) udf(graph(), "hot-index")).warmUpSearches()).isEqualTo(2000);
        assertThat(((HotIndex) udf(graph("haim.search.warmup_searches=0"), "hot-index")).warmUpSearches()).isZero();
    }

    static Object udf(StreamGraph g, String name) {
        return ((org.apache.flink.streaming.api.operators.SimpleUdfStreamOperatorFactory<?>) node(g, name).getOperatorFactory())
                .getUserFunction();
    }

    static WarmFallback warmFallback(StreamGraph g) {
        try {
            // The factory keeps its function private.
            var f = AsyncWaitOperatorFactory.class.getDeclaredField("asyncFunction");
            f.setAccessible(true);
            return (WarmFallback) f.get(node(g, "warm-fallback").getOperatorFactory());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    static Object operator(StreamGraph g, String name) {
        return ((org.apache.flink.streaming.api.operators.SimpleOperatorFactory<?>) node(g, name).getOperatorFactory()).getOperator();
    }
}
