package io.mnemocore.operators.query;

import static io.mnemocore.operators.query.QueryMergerTest.hit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.tier.EmbeddedWarmStore;
import io.mnemocore.operators.tier.QdrantStandIn;
import io.mnemocore.operators.tier.WarmPoint;
import io.mnemocore.operators.tier.WarmTier;
import io.mnemocore.operators.tier.WarmTierSpec;
import io.mnemocore.testing.RedisServer;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The query path's WARM search, in Flink's async operator, against the embedded store and the Qdrant stand-in. */
class WarmFallbackTest {
    static final int D = 1024;
    static final int THRESHOLD = 100;

    static OneInputStreamOperatorTestHarness<MergedQuery, MergedQuery> harness(WarmFallback f) throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(f, f.operatorTimeoutMs(), 10, AsyncDataStream.OutputMode.UNORDERED),
                TypeInformation.of(MergedQuery.class).createSerializer(new SerializerConfigImpl()));
        h.open();
        return h;
    }

    static List<MergedQuery> drain(OneInputStreamOperatorTestHarness<MergedQuery, MergedQuery> h) throws Exception {
        h.endInput();
        List<MergedQuery> out = new ArrayList<>(h.extractOutputValues());
        h.close();
        return out;
    }

    static WarmTierSpec embedded(Path dir) {
        return new WarmTierSpec(D, dir.toString(), "", "", "haim_warm", 16, 100, true, true, 5_000, 3, 5, 30_000);
    }

    static WarmTierSpec qdrant(int port) {
        return new WarmTierSpec(D, "", "http://127.0.0.1:" + port, "", "haim_warm", 16, 100, true, true, 5_000, 3, 5, 30_000);
    }

    static MergedQuery merged(String id, long[] hdv, int k, Hit... hits) {
        Query q = new Query();
        q.queryId = id;
        q.tenant = "t";
        q.kind = "query";
        q.k = k;
        q.hdv = hdv;
        MergedQuery m = new MergedQuery();
        m.query = q;
        m.hits = hits;
        return m;
    }

    static WarmPoint point(String tenant, String id, long[] hdv) {
        return new WarmPoint(tenant, id, "ctx", hdv, new byte[] {7}, 0.5, 1_000, 3.6e6, 900, 2);
    }

    @Test
    void lowConfidenceQueriesAreAnsweredFromBothTiersConfidentOnesFromHotAlone(@TempDir Path dir) throws Exception {
        long[] target = Hdv.random(D, 1).words();
        long[] near = target.clone();
        near[0] ^= 0b111; // 3 bits from the query
        try (EmbeddedWarmStore store = EmbeddedWarmStore.open(dir, D)) {
            store.apply(List.of(WarmTier.Op.upsert(point("t", "warm-near", near)),
                    WarmTier.Op.upsert(point("t", "warm-far", Hdv.random(D, 2).words())),
                    WarmTier.Op.upsert(point("other", "other-tenant", target)),
                    WarmTier.Op.upsert(point("t", "hot-too", Hdv.random(D, 3).words()))));
            var h = harness(new WarmFallback(embedded(dir), true, THRESHOLD, 1_000, 2, 5, 30_000));
            MergedQuery asked = merged("low", target, 2, hit("hot-far", 500, 0.9), hit("hot-too", 510, 0.9));
            asked.indexStartUs = 11;
            asked.indexEndUs = 12;
            asked.mergedUs = 13;
            h.processElement(asked, 0);
            MergedQuery confident = merged("high", target, 2, hit("hot-near", 20, 0.9));
            confident.mergedUs = 23;
            h.processElement(confident, 0);
            List<MergedQuery> out = drain(h);
            MergedQuery low = out.stream().filter(m -> m.query.queryId.equals("low")).findFirst().orElseThrow();
            assertThat(low.warmAsked).isTrue();
            assertThat(low.warmError).isNull();
            // The WARM hit comes first; a memory in both tiers keeps its HOT copy; the other tenant is never seen.
            assertThat(low.hits).extracting(x -> x.memoryId + ":" + x.tier).containsExactly("warm-near:warm", "hot-far:hot");
            assertThat(low.hits[0].distance).isEqualTo(3);
            assertThat(low.hits[0].payload).containsExactly(7);
            assertThat(low.hits[0].strength).isEqualTo(0.5);
            // The stage times go on to the reply whichever way the query took.
            assertThat(new long[] {low.indexStartUs, low.indexEndUs, low.mergedUs}).containsExactly(11, 12, 13);
            MergedQuery high = out.stream().filter(m -> m.query.queryId.equals("high")).findFirst().orElseThrow();
            assertThat(high.warmAsked).isFalse();
            assertThat(high.hits).extracting(x -> x.memoryId).containsExactly("hot-near");
            assertThat(high.mergedUs).isEqualTo(23);

            // Switched off, not even a query with no HOT hit at all asks WARM.
            var off = harness(new WarmFallback(embedded(dir), false, THRESHOLD, 1_000, 2, 5, 30_000));
            off.processElement(merged("none", target, 2), 0);
            MergedQuery none = drain(off).get(0);
            assertThat(none.warmAsked).isFalse();
            assertThat(none.hits).isEmpty();
        }
    }

    /**
     * Under the real-time policy a pool thread goes real-time at the end of its first WARM search
     * (opening the store before it is start-up), and reaches an element boundary after each search:
     * it keeps to its CPU budget, and takes its policy back if {@link RealtimeGuard} had taken it.
     */
    @Test
    void aRealtimePoolThreadPacesAfterEachSearch(@TempDir Path dir) throws Exception {
        assumeTrue(QueryPathPriorityTest.maySetRealtime(), "this process may not set real-time priorities (no CAP_SYS_NICE)");
        try (EmbeddedWarmStore store = EmbeddedWarmStore.open(dir, D)) {
            store.apply(List.of(WarmTier.Op.upsert(point("t", "warm", Hdv.random(D, 4).words()))));
        }
        var h = harness(new WarmFallback(embedded(dir), true, THRESHOLD, 1_000, 1, 5, 30_000)
                .withPriority(new QueryPathPriority(Thread.NORM_PRIORITY, 1)));
        try {
            assertThat(RealtimeGuard.JVM.budgetsOf("warm-fallback")).isEmpty();
            h.processElement(merged("first", Hdv.random(D, 4).words(), 1), 0);
            List<RealtimeBudget> pool = RealtimeGuard.JVM.budgetsOf("warm-fallback");
            for (long end = System.nanoTime() + 10_000_000_000L; pool.isEmpty() && System.nanoTime() < end; ) {
                Thread.sleep(10); // the search, then chrt
                pool = RealtimeGuard.JVM.budgetsOf("warm-fallback");
            }
            assertThat(pool).hasSize(1);
            long before = System.nanoTime();
            assertThat(pool.get(0).pacedSince(before)).isFalse();
            h.processElement(merged("second", Hdv.random(D, 4).words(), 1), 0);
            h.endInput();
            assertThat(h.extractOutputValues()).hasSize(2).allSatisfy(m -> assertThat(m.warmAsked).isTrue());
            assertThat(pool.get(0).pacedSince(before)).isTrue();
        } finally {
            h.close();
        }
    }

    @Test
    void predictedMemoriesMissingFromHotAreLookedUpInWarm(@TempDir Path dir) throws Exception {
        try (EmbeddedWarmStore store = EmbeddedWarmStore.open(dir, D)) {
            store.apply(List.of(WarmTier.Op.upsert(point("t", "w1", Hdv.random(D, 5).words()))));
            MergedQuery m = merged("p", Hdv.random(D, 9).words(), 3, hit("h1", 400, 0.9));
            m.query.kind = "inference.predict";
            m.query.predicted = new String[] {"h1", "w1", "cold-or-gone"};
            m.query.predictedDistance = new int[] {400, 410, 450};
            var h = harness(new WarmFallback(embedded(dir), true, THRESHOLD, 1_000, 2, 5, 30_000));
            h.processElement(m, 0);
            MergedQuery out = drain(h).get(0);
            assertThat(out.hits).extracting(x -> x.memoryId + ":" + x.tier + ":" + x.distance).containsExactly("h1:hot:400", "w1:warm:410");
        }
    }

    /**
     * A history prediction topped up by its context_hdv looks up its missing memories and searches
     * WARM by the vector, even with every predicted memory in HOT; a predicted memory is not repeated.
     */
    @Test
    void aPredictionToppedUpByContentAlsoSearchesWarm(@TempDir Path dir) throws Exception {
        long[] context = Hdv.random(D, 11).words();
        long[] near = context.clone();
        near[1] ^= 0b1111;
        long[] nearer = context.clone();
        nearer[2] ^= 0b11;
        try (EmbeddedWarmStore store = EmbeddedWarmStore.open(dir, D)) {
            store.apply(List.of(WarmTier.Op.upsert(point("t", "warm-near", near)),
                    WarmTier.Op.upsert(point("t", "w1", nearer))));
            var h = harness(new WarmFallback(embedded(dir), true, THRESHOLD, 1_000, 2, 5, 30_000));
            MergedQuery m = merged("p", context, 3, hit("h1", 7_000, 0.9));
            m.query.kind = "inference.predict";
            m.query.predicted = new String[] {"h1", "w1"};
            m.query.predictedDistance = new int[] {7_000, 7_100};
            m.query.contentTopUp = true;
            h.processElement(m, 0);
            MergedQuery out = drain(h).get(0);
            assertThat(out.warmAsked).isTrue();
            assertThat(out.hits).extracting(x -> x.memoryId + ":" + x.tier + ":" + x.distance)
                    .containsExactly("h1:hot:7000", "w1:warm:7100", "warm-near:warm:4");

            m.query.contentTopUp = false;
            m.query.predicted = new String[] {"h1"};
            m.query.predictedDistance = new int[] {7_000};
            assertThat(new WarmFallback(embedded(dir), true, THRESHOLD, 1_000, 2, 5, 30_000).needsWarm(m))
                    .as("every predicted memory in HOT, no top-up").isFalse();
        }
    }

    /**
     * A prediction that its context's history left to its context_hdv searches WARM by that vector,
     * even when HOT holds a memory right at it (the one in use): it is for what is not HOT yet.
     */
    @Test
    void aPredictionByContentAlwaysSearchesWarm(@TempDir Path dir) throws Exception {
        long[] context = Hdv.random(D, 11).words();
        long[] near = context.clone();
        near[1] ^= 0b1111;
        try (EmbeddedWarmStore store = EmbeddedWarmStore.open(dir, D)) {
            store.apply(List.of(WarmTier.Op.upsert(point("t", "warm-near", near))));
            var h = harness(new WarmFallback(embedded(dir), true, THRESHOLD, 1_000, 2, 5, 30_000));
            MergedQuery m = merged("p", context, 3, hit("in-use", 0, 0.9), hit("hot-far", 6_000, 0.9));
            m.query.kind = "inference.predict";
            assertThat(m.query.predictsByContent()).isTrue();
            h.processElement(m, 0);
            // A query as near is confident: HOT alone.
            h.processElement(merged("q", context, 3, hit("in-use", 0, 0.9)), 0);
            List<MergedQuery> all = drain(h);
            MergedQuery out = all.stream().filter(x -> x.query.queryId.equals("p")).findFirst().orElseThrow();
            assertThat(out.warmAsked).isTrue();
            assertThat(out.hits).extracting(x -> x.memoryId + ":" + x.tier + ":" + x.distance)
                    .containsExactly("in-use:hot:0", "warm-near:warm:4", "hot-far:hot:6000");
            assertThat(all.stream().filter(x -> x.query.queryId.equals("q")).findFirst().orElseThrow().warmAsked).isFalse();
        }
    }

    /** The pool's threads start, and the store opens, with the operator: not on the first WARM-bound query. */
    @Test
    void thePoolAndTheStoreAreReadyBeforeTheFirstWarmBoundQuery(@TempDir Path dir) throws Exception {
        WarmFallback f = new WarmFallback(embedded(dir), true, THRESHOLD, 1_000, 3, 5, 30_000);
        var h = harness(f);
        assertThat(f.poolThreads()).isEqualTo(3);
        long until = System.nanoTime() + 10_000_000_000L;
        while (!f.storeOpen() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(f.storeOpen()).isTrue();
        h.close();
        assertThat(f.storeOpen()).as("closed with the operator").isFalse();
    }

    @Test
    void anUnreachableWarmTierDegradesTheReplyAndOpensTheBreaker() throws Exception {
        int port;
        try (QdrantStandIn q = new QdrantStandIn(RedisServer.freePort(), "")) {
            port = q.port(); // now closed: nothing listens there
        }
        WarmFallback f = new WarmFallback(qdrant(port), true, THRESHOLD, 1_000, 1, 2, 60_000);
        var h = harness(f);
        for (int i = 0; i < 2; i++) {
            h.processElement(merged("q" + i, Hdv.random(D, i).words(), 1, hit("hot", 600, 0.9)), 0);
        }
        List<MergedQuery> out = drain(h);
        assertThat(out).hasSize(2).allMatch(m -> m.warmAsked && m.warmError.startsWith("WARM search failed"));
        assertThat(out).allMatch(m -> m.hits.length == 1 && m.hits[0].memoryId.equals("hot"));
        // Two failures opened the breaker: the next query is answered at once, without a call.
        List<MergedQuery> next = new ArrayList<>();
        f.asyncInvoke(merged("q2", Hdv.random(D, 2).words(), 1, hit("hot", 600, 0.9)), new Collect(next));
        assertThat(next).hasSize(1);
        assertThat(next.get(0).warmError).isEqualTo("WARM circuit breaker open after 2 failures");
    }

    /** A result future that keeps what it is given, for calls outside the operator. */
    static final class Collect implements org.apache.flink.streaming.api.functions.async.ResultFuture<MergedQuery> {
        final List<MergedQuery> got;

        Collect(List<MergedQuery> got) {
            this.got = got;
        }

        @Override
        public void complete(java.util.Collection<MergedQuery> result) {
            got.addAll(result);
        }

        @Override
        public void completeExceptionally(Throwable error) {
            throw new AssertionError(error);
        }

        @Override
        public void complete(org.apache.flink.streaming.api.functions.async.CollectionSupplier<MergedQuery> supplier) {
            try {
                got.addAll(supplier.get());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aWarmTierThatDoesNotAnswerTimesOutIntoAHotOnlyReply() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) { // accepts connections, never answers
            var f = new WarmFallback(qdrant(silent.getLocalPort()), true, THRESHOLD, 5_000, 1, 5, 60_000);
            var h = harness(f);
            h.processElement(merged("slow", Hdv.random(D, 1).words(), 1, hit("hot", 600, 0.9)), 0);
            h.setProcessingTime(f.operatorTimeoutMs() + 1);
            MergedQuery m = drain(h).get(0);
            assertThat(m.warmError).isEqualTo("WARM search timed out after 5000 ms");
            assertThat(m.hits).extracting(x -> x.memoryId).containsExactly("hot");
        }
    }
}
