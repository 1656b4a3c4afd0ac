package io.mnemocore.operators.query;

import static io.mnemocore.operators.query.QueryMergerTest.D;
import static io.mnemocore.operators.query.QueryMergerTest.LTP;
import static io.mnemocore.operators.query.QueryMergerTest.hit;
import static io.mnemocore.operators.query.QueryMergerTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mnemocore.hdv.Bundler;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

class QueryRepliesTest {

    static OneInputStreamOperatorTestHarness<MergedQuery, QueryReply> harness(Rerank rerank) throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(new QueryReplies(rerank, D, 500));
    }

    /** Replies that send a prediction by content's memories to be pre-warmed ({@code haim.inference.prewarm}). */
    static OneInputStreamOperatorTestHarness<MergedQuery, QueryReply> prewarming() throws Exception {
        return ProcessFunctionTestHarnesses.forProcessFunction(new QueryReplies(new Rerank(D, LTP, 1.0, 1.0, 0.0, 24), D, 500)
                .withPrewarm(true));
    }

    /** An inference.predict; with no predicted ids set, one left to its context_hdv. */
    static Query prediction(String id, int k) {
        Query q = query(id, k);
        q.kind = "inference.predict";
        return q;
    }

    static MergedQuery merged(Query q, Hit... hits) {
        MergedQuery m = new MergedQuery();
        m.query = q;
        m.hits = hits;
        m.scanned = 200;
        return m;
    }

    @Test
    void answersWithRerankedHitsAndFeedsThemBackAsAccesses() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        Query q = query("q1", 3);
        q.contextId = "kitchen";
        h.processElement(merged(q, hit("a", 100, 0.9), hit("b", 200, 0.9), hit("c", 300, 0.9)), 0);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.hits).extracting(x -> x.memoryId).containsExactly("a", "b", "c");
        assertThat(r.confidence).isEqualTo("high");
        assertThat(r.degraded).isFalse();
        assertThat(r.tier).isEqualTo("hot");
        assertThat(r.scanned).isEqualTo(200);
        assertThat(r.hits[0].score).isEqualTo(1.0 - 100.0 / D);
        var fed = h.getSideOutput(QueryReplies.FEEDBACK);
        assertThat(fed).extracting(StreamRecord::getValue).extracting(e -> ((MemoryEvent) e).memoryId).containsExactly("a", "b", "c");
        assertThat(fed).extracting(StreamRecord::getValue)
                .allMatch(e -> ((MemoryEvent) e).type == EventType.MEMORY_ACCESS && "kitchen".equals(((MemoryEvent) e).contextId));
    }

    @Test
    void theReplyCarriesItsStageTimesFromThePreparation() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        Query q = query("q1", 3);
        long prepared = StageClock.nowUs() - 3_000;
        q.preparedUs = prepared;
        MergedQuery m = merged(q, hit("a", 100, 0.9));
        m.indexStartUs = prepared + 400;
        m.indexEndUs = prepared + 700;
        m.mergedUs = prepared + 1_000;
        h.processElement(m, 0);
        long[] st = h.extractOutputValues().get(0).stagesUs;
        assertThat(st).hasSize(5);
        assertThat(st[0]).isEqualTo(prepared);
        assertThat(st[1]).isEqualTo(400);
        assertThat(st[2]).isEqualTo(700);
        assertThat(st[3]).isEqualTo(1_000);
        assertThat(st[4]).isGreaterThanOrEqualTo(3_000).isLessThan(3_000 + 60_000_000L); // made now, after the merge

        // A query restored from an older job's checkpoint was never timed: no stages rather than epochs.
        h.processElement(merged(query("q0", 3), hit("a", 100, 0.9)), 0);
        assertThat(h.extractOutputValues().get(1).stagesUs).isNull();
    }

    @Test
    void rerankWeighsLtpStrengthAgainstSimilarity() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 1.0, 0.0, 24));
        h.processElement(merged(query("q2", 2), hit("near-weak", 100, 0.1), hit("far-strong", 300, 0.95)), 0);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.hits).extracting(x -> x.memoryId).containsExactly("far-strong", "near-weak");
    }

    @Test
    void contextHologramLiftsMemoriesRecentlyUsedInTheContext() throws Exception {
        Query q = query("q6", 2);
        Bundler b = new Bundler(D);
        for (String id : new String[] {"used-1", "far-but-used", "used-2"}) {
            b.addWords(ActiveInference.item("t", id, D));
        }
        q.contextHologram = b.majority().words();
        // Without the context term the nearer memory wins; with it, the one used in the context.
        var plain = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24, 0.0));
        plain.processElement(merged(q, hit("near-unused", 100, 0.9), hit("far-but-used", 400, 0.9)), 0);
        assertThat(plain.extractOutputValues().get(0).hits[0].memoryId).isEqualTo("near-unused");
        var withContext = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24, 0.5));
        withContext.processElement(merged(q, hit("near-unused", 100, 0.9), hit("far-but-used", 400, 0.9)), 0);
        QueryReply r = withContext.extractOutputValues().get(0);
        assertThat(r.hits[0].memoryId).isEqualTo("far-but-used");
        // Three bundled: the member sits about D/4 from the majority (context term ~0.5), others at D/2.
        assertThat(r.hits[0].score - (1.0 - 400.0 / D)).isBetween(0.5 * 0.4, 0.5 * 0.6);
        assertThat(r.hits[1].score - (1.0 - 100.0 / D)).isLessThan(0.5 * 0.05);
    }

    @Test
    void warmHitsAndAWarmFailureShowInTheReply() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        Hit warm = hit("w", 40, 0.5);
        warm.tier = "warm";
        MergedQuery both = merged(query("q7", 2), warm, hit("h", 7000, 0.9));
        both.warmAsked = true;
        h.processElement(both, 0);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.tier).isEqualTo("hot+warm");
        assertThat(r.confidence).isEqualTo("high");
        assertThat(r.degraded).isFalse();
        assertThat(r.hits).extracting(x -> x.tier).containsExactly("warm", "hot");

        MergedQuery failed = merged(query("q8", 2), hit("h", 7000, 0.9));
        failed.warmAsked = true;
        failed.warmError = "WARM search timed out after 250 ms";
        failed.missing = "results of 1 of 2 HOT index subtasks missing after 2000 ms";
        h.processElement(failed, 0);
        QueryReply d = h.extractOutputValues().get(1);
        assertThat(d.confidence).isEqualTo("low");
        assertThat(d.degraded).isTrue();
        assertThat(d.tier).isEqualTo("hot");
        assertThat(d.degradedReason).contains("1 of 2").contains("answered from HOT alone: WARM search timed out");
    }

    @Test
    void predictionsKeepTheirOrderAndAreNotCountedAsAccesses() throws Exception {
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        Query q = prediction("p1", 3);
        q.predicted = new String[] {"next", "after", "gone"};
        q.predictedDistance = new int[] {7000, 6000, 7500};
        Hit warm = hit("after", 6000, 0.8);
        warm.tier = "warm";
        h.processElement(merged(q, warm, hit("next", 7000, 0.9)), 0);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.hits).extracting(x -> x.memoryId).containsExactly("next", "after");
        assertThat(r.predicted).containsExactly("next", "after", "gone");
        assertThat(r.predictedBy).isEqualTo("history");
        assertThat(r.confidence).isEqualTo("high");
        assertThat(r.hits[0].score).isEqualTo(1.0 - 2.0 * 7000 / D);
        assertThat(h.getSideOutput(QueryReplies.FEEDBACK)).isNullOrEmpty();
    }

    /** The blueprint's inference.predict names no context: its context_hdv's nearest memories are the prediction. */
    @Test
    void aPredictionByContentKeepsTheMemoriesClearlyNearerThanChanceAndPrewarmsThem() throws Exception {
        var h = prewarming();
        Query q = prediction("p2", 4);
        int cut = ActiveInference.chanceCut(D);
        Hit warm = hit("warm-near", 300, 0.1);
        warm.tier = "warm";
        // Listed out of order, and one just at the cut: that one is as likely as any unrelated memory.
        h.processElement(merged(q, hit("hot-farther", 2_500, 0.9), warm, hit("chance", cut, 0.99)), 0);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.hits).extracting(x -> x.memoryId).containsExactly("warm-near", "hot-farther");
        assertThat(r.predicted).containsExactly("warm-near", "hot-farther");
        assertThat(r.predictedBy).isEqualTo("content");
        assertThat(r.hits[1].score).isEqualTo(1.0 - 2.0 * 2_500 / D);
        assertThat(r.confidence).isEqualTo("high");
        assertThat(r.tier).isEqualTo("hot+warm");
        var fed = h.getSideOutput(QueryReplies.FEEDBACK);
        assertThat(fed).hasSize(1);
        MemoryEvent e = (MemoryEvent) fed.peek().getValue();
        assertThat(e.type).as("a prediction is not a use").isEqualTo(EventType.CONSOLIDATION_TRIGGER);
        assertThat(e.tier).isEqualTo("prewarm");
        assertThat(e.tenant).isEqualTo(q.tenant);
        assertThat(e.memoryIds).containsExactly("warm-near", "hot-farther");

        // A query keeps a far hit; a prediction with nothing near is empty, low confidence, nothing to pre-warm.
        h.processElement(merged(query("p3", 4), hit("chance", cut + 10, 0.99)), 0);
        assertThat(h.extractOutputValues().get(1).hits).hasSize(1);
        Query p = prediction("p4", 4);
        h.processElement(merged(p, hit("unrelated", cut + 10, 0.99)), 0);
        QueryReply empty = h.extractOutputValues().get(2);
        assertThat(empty.hits).isEmpty();
        assertThat(empty.predicted).isEmpty();
        assertThat(empty.predictedBy).isEqualTo("none");
        assertThat(h.extractOutputValues().get(1).predictedBy).as("a query").isNull();
        assertThat(empty.confidence).isEqualTo("low");
        assertThat(h.getSideOutput(QueryReplies.FEEDBACK)).as("only the query p3's hit, as an access").hasSize(2)
                .extracting(x -> ((MemoryEvent) x.getValue()).type).containsExactly(EventType.CONSOLIDATION_TRIGGER, EventType.MEMORY_ACCESS);

        // haim.inference.prewarm off: the same prediction, nothing sent.
        var off = harness(new Rerank(D, LTP, 1.0, 1.0, 0.0, 24));
        Query again = prediction("p5", 4);
        off.processElement(merged(again, hit("near", 300, 0.5)), 0);
        assertThat(off.extractOutputValues().get(0).predicted).containsExactly("near");
        assertThat(off.getSideOutput(QueryReplies.FEEDBACK)).isNullOrEmpty();
    }

    /**
     * A history prediction with fewer than k memories, topped up by its context_hdv: the history's
     * memories first, in their order, then the vector's nearest clearly nearer than chance, up to k
     * in all (predicted but not found counts); only the top-up is pre-warmed here.
     */
    @Test
    void aHistoryPredictionToppedUpByContentListsTheHistoryFirstAndPrewarmsOnlyTheTopUp() throws Exception {
        var h = prewarming();
        Query q = prediction("p6", 4);
        q.predicted = new String[] {"next", "gone"};
        q.predictedDistance = new int[] {7000, 7100};
        q.contentTopUp = true;
        int cut = ActiveInference.chanceCut(D);
        h.processElement(merged(q, hit("near", 200, 0.5), hit("next", 7000, 0.9), hit("nearer", 100, 0.5),
                hit("third", 300, 0.5), hit("chance", cut, 0.5)), 0);
        QueryReply r = h.extractOutputValues().get(0);
        assertThat(r.hits).extracting(x -> x.memoryId).containsExactly("next", "nearer", "near");
        assertThat(r.predicted).containsExactly("next", "gone", "nearer", "near");
        assertThat(r.predictedBy).isEqualTo("history+content");
        assertThat(r.confidence).isEqualTo("high");
        var fed = h.getSideOutput(QueryReplies.FEEDBACK);
        assertThat(fed).hasSize(1);
        MemoryEvent e = (MemoryEvent) fed.peek().getValue();
        assertThat(e.tier).isEqualTo("prewarm");
        assertThat(e.memoryIds).as("the history's were pre-warmed by ActiveInference").containsExactly("nearer", "near");

        // Nothing near enough: the history alone.
        Query alone = prediction("p7", 4);
        alone.predicted = new String[] {"next"};
        alone.predictedDistance = new int[] {7000};
        alone.contentTopUp = true;
        h.processElement(merged(alone, hit("next", 7000, 0.9), hit("chance", cut + 1, 0.5)), 0);
        QueryReply r2 = h.extractOutputValues().get(1);
        assertThat(r2.hits).extracting(x -> x.memoryId).containsExactly("next");
        assertThat(r2.predicted).containsExactly("next");
        assertThat(r2.predictedBy).isEqualTo("history");
        assertThat(h.getSideOutput(QueryReplies.FEEDBACK)).hasSize(1);
    }

    /**
     * A real-time merger thread reaches an element boundary after each reply, not only after each
     * merge: the WARM step emits many replies inside one merge element while its queue is full.
     */
    @Test
    void aRealtimeThreadPacesAfterEachReply() throws Exception {
        assumeTrue(QueryPathPriorityTest.maySetRealtime(), "this process may not set real-time priorities (no CAP_SYS_NICE)");
        var h = harness(new Rerank(D, LTP, 1.0, 0.0, 0.0, 24));
        java.util.concurrent.atomic.AtomicBoolean paced = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean before = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread t = new Thread(() -> {
            new QueryPathPriority(Thread.NORM_PRIORITY, 1).apply();
            RealtimeBudget budget = RealtimeGuard.JVM.budgetsOf("replies-realtime").get(0);
            long start = System.nanoTime();
            before.set(budget.pacedSince(start));
            try {
                h.processElement(merged(query("q1", 3), hit("a", 100, 0.9)), 0);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
            paced.set(budget.pacedSince(start));
            QueryPathPriority.forgetBudget();
        }, "replies-realtime");
        t.start();
        t.join();
        assertThat(before.get()).isFalse();
        assertThat(paced.get()).isTrue();
        assertThat(h.extractOutputValues()).hasSize(1);
    }
}
