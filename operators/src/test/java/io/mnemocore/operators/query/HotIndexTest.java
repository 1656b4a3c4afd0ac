package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.ReferenceKernel;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

class HotIndexTest {
    static final int D = 1024;
    static final KeySelector<Transition, String> KEY = t -> t.tenant + "/" + t.memoryId;

    static HotIndex index(boolean approximate) {
        return new HotIndex(D, "cpu", 1, approximate, 128, 8, 4, 0);
    }

    static KeyedBroadcastOperatorTestHarness<String, Transition, Query, PartialResult> harness(HotIndex fn,
            OperatorSubtaskState restore) throws Exception {
        var h = new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(fn, List.of()), KEY, Types.STRING,
                128, 1, 0);
        h.setup();
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    static Transition hot(String tenant, String id, long[] hdv) {
        Transition t = new Transition();
        t.kind = TransitionKind.CREATED;
        t.tenant = tenant;
        t.memoryId = id;
        t.toTier = Tier.HOT;
        t.hdv = hdv;
        t.strength = 0.9;
        t.atMs = 1000;
        t.halfLifeMs = 86_400_000;
        t.lastAccessMs = 1000;
        t.payload = new byte[] {(byte) 0xa1, 0x78}; // msgpack "x"
        return t;
    }

    static Transition leave(String tenant, String id, TransitionKind kind) {
        Transition t = new Transition();
        t.kind = kind;
        t.tenant = tenant;
        t.memoryId = id;
        t.fromTier = Tier.HOT;
        t.toTier = kind == TransitionKind.DELETED ? null : Tier.WARM;
        return t;
    }

    static Query query(String tenant, long[] hdv, int k) {
        Query q = new Query();
        q.queryId = "q" + System.nanoTime();
        q.tenant = tenant;
        q.kind = "query";
        q.hdv = hdv;
        q.k = k;
        return q;
    }

    static PartialResult ask(KeyedBroadcastOperatorTestHarness<String, Transition, Query, PartialResult> h, Query q)
            throws Exception {
        int before = h.extractOutputValues().size();
        h.processBroadcastElement(q, 0);
        List<PartialResult> out = h.extractOutputValues();
        assertThat(out).hasSize(before + 1);
        return out.get(before);
    }

    static List<String> ids(PartialResult r) {
        List<String> ids = new ArrayList<>();
        for (Hit h : r.hits) {
            ids.add(h.memoryId);
        }
        return ids;
    }

    @Test
    void answersTheTenantsNearestHotMemoriesOnly() throws Exception {
        var h = harness(index(false), null);
        Hdv base = Hdv.random(D, 1);
        h.processElement(hot("a", "near", flip(base, 10, 2).words()), 0);
        h.processElement(hot("a", "mid", flip(base, 100, 3).words()), 0);
        h.processElement(hot("a", "far", Hdv.random(D, 4).words()), 0);
        h.processElement(hot("b", "other-tenant-exact", base.words()), 0);

        PartialResult r = ask(h, query("a", base.words(), 2));
        assertThat(ids(r)).containsExactly("near", "mid");
        assertThat(r.hits[0].distance).isEqualTo(10);
        assertThat(r.hits[0].payload).containsExactly(0xa1, 0x78);
        assertThat(r.hits[0].tier).isEqualTo("hot");
        assertThat(r.parts).isEqualTo(1);
        assertThat(r.scanned).isEqualTo(3);
        assertThat(ids(ask(h, query("b", base.words(), 5)))).containsExactly("other-tenant-exact");
        assertThat(ask(h, query("nobody", base.words(), 5)).hits).isEmpty();
    }

    @Test
    void followsMemoriesLeavingAndReenteringHot() throws Exception {
        var h = harness(index(false), null);
        Hdv base = Hdv.random(D, 1);
        for (int i = 0; i < 5; i++) {
            h.processElement(hot("a", "m" + i, flip(base, 10 * (i + 1), i).words()), 0);
        }
        h.processElement(leave("a", "m0", TransitionKind.HOT_TO_WARM), 0);
        h.processElement(leave("a", "m2", TransitionKind.DELETED), 0);
        assertThat(ids(ask(h, query("a", base.words(), 5)))).containsExactly("m1", "m3", "m4");
        Transition back = hot("a", "m0", flip(base, 10, 0).words());
        back.kind = TransitionKind.WARM_TO_HOT;
        h.processElement(back, 0);
        h.processElement(touch("a", "m1", 0.99, 5000), 0);
        PartialResult r = ask(h, query("a", base.words(), 5));
        assertThat(ids(r)).containsExactly("m0", "m1", "m3", "m4");
        assertThat(r.hits[1].strength).isEqualTo(0.99);
        assertThat(r.hits[1].updatedMs).isEqualTo(5000);
    }

    /** After a restore the in-memory matrices are empty; the first query rebuilds them from keyed state. */
    @Test
    void rebuildsFromKeyedStateAfterRestore() throws Exception {
        var h = harness(index(false), null);
        Hdv base = Hdv.random(D, 1);
        for (int i = 0; i < 50; i++) {
            h.processElement(hot(i % 2 == 0 ? "a" : "b", "m" + i, flip(base, 5 + i, i).words()), 0);
        }
        h.processElement(leave("a", "m0", TransitionKind.HOT_TO_WARM), 0);
        PartialResult before = ask(h, query("a", base.words(), 10));
        OperatorSubtaskState snap = h.snapshot(1, 1);
        h.close();

        var restored = harness(index(false), snap);
        PartialResult after = ask(restored, query("a", base.words(), 10));
        assertThat(ids(after)).isEqualTo(ids(before)).doesNotContain("m0").hasSize(10);
        assertThat(after.scanned).isEqualTo(24);
        // Changes after the rebuild are applied to the rebuilt matrices.
        restored.processElement(leave("a", ids(after).get(0), TransitionKind.HOT_TO_WARM), 0);
        assertThat(ids(ask(restored, query("a", base.words(), 10)))).doesNotContain(ids(after).get(0)).hasSize(10);
    }

    static Transition touch(String tenant, String id, double strength, long atMs) {
        Transition t = new Transition();
        t.kind = TransitionKind.HOT_TOUCH;
        t.tenant = tenant;
        t.memoryId = id;
        t.fromTier = Tier.HOT;
        t.toTier = Tier.HOT;
        t.strength = strength;
        t.atMs = atMs;
        t.halfLifeMs = 86_400_000;
        t.lastAccessMs = atMs;
        return t;
    }

    static Hit hitFor(PartialResult r, String id) {
        for (Hit h : r.hits) {
            if (h.memoryId.equals(id)) {
                return h;
            }
        }
        throw new AssertionError(id + " not in " + ids(r));
    }

    /**
     * Accesses write no keyed state: their facts are checkpointed as operator state, and survive a
     * restore both before the rebuild (touched again, snapshotted again) and after it.
     */
    @Test
    void accessFactsSurviveRestoresWithoutKeyedWrites() throws Exception {
        var h = harness(index(false), null);
        Hdv base = Hdv.random(D, 1);
        for (int i = 0; i < 4; i++) {
            h.processElement(hot("a", "m" + i, flip(base, 10 * (i + 1), i).words()), 0);
        }
        ask(h, query("a", base.words(), 4)); // matrices in use before the touches
        h.processElement(touch("a", "m1", 0.97, 5000), 0);
        h.processElement(touch("a", "m3", 0.5, 6000), 0);
        var backend = h.getOperator().getKeyedStateBackend();
        backend.setCurrentKey("a/m1");
        HotFacts keyed = backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                HotIndex.factsDescriptor()).value();
        assertThat(keyed.strength).isEqualTo(0.9); // still the HOT add's: the touch stayed on the heap
        OperatorSubtaskState first = h.snapshot(1, 1);
        h.close();

        // Restored, not yet queried: one more touch, a removal, and a snapshot from the pending facts.
        var mid = harness(index(false), first);
        mid.processElement(touch("a", "m2", 0.8, 7000), 0);
        mid.processElement(leave("a", "m3", TransitionKind.HOT_TO_WARM), 0);
        mid.processElement(touch("a", "m3", 0.1, 7500), 0); // overtook nothing: m3 is gone
        OperatorSubtaskState second = mid.snapshot(2, 2);
        mid.close();

        var last = harness(index(false), second);
        PartialResult r = ask(last, query("a", base.words(), 4));
        assertThat(ids(r)).containsExactly("m0", "m1", "m2");
        assertThat(hitFor(r, "m0").strength).isEqualTo(0.9);   // never touched: the facts of its HOT add
        assertThat(hitFor(r, "m0").updatedMs).isEqualTo(1000);
        assertThat(hitFor(r, "m1").strength).isEqualTo(0.97);  // touched before the first snapshot
        assertThat(hitFor(r, "m1").updatedMs).isEqualTo(5000);
        assertThat(hitFor(r, "m2").strength).isEqualTo(0.8);   // touched while not rebuilt
        assertThat(hitFor(r, "m2").lastAccessMs).isEqualTo(7000);
    }

    /** Scaled from one subtask to two, each keeps the access facts of its own key groups only. */
    @Test
    void accessFactsFollowTheirKeysOnRescale() throws Exception {
        var h = harness(index(false), null);
        Hdv base = Hdv.random(D, 1);
        int n = 40;
        for (int i = 0; i < n; i++) {
            h.processElement(hot("a", "m" + i, flip(base, 5 + i, i).words()), 0);
        }
        ask(h, query("a", base.words(), 1));
        for (int i = 0; i < n; i++) {
            h.processElement(touch("a", "m" + i, 0.5 + i / 100.0, 10_000 + i), 0);
        }
        OperatorSubtaskState snap = h.snapshot(1, 1);
        h.close();

        List<String> seen = new ArrayList<>();
        for (int sub = 0; sub < 2; sub++) {
            OperatorSubtaskState part = AbstractStreamOperatorTestHarness.repartitionOperatorState(snap, 128, 1, 2, sub);
            var fn = index(false);
            var s = new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(fn, List.of()), KEY,
                    Types.STRING, 128, 2, sub);
            s.setup();
            s.initializeState(part);
            s.open();
            PartialResult r = ask(s, query("a", base.words(), n));
            for (Hit hit : r.hits) {
                int i = Integer.parseInt(hit.memoryId.substring(1));
                assertThat(hit.strength).isEqualTo(0.5 + i / 100.0);
                assertThat(hit.updatedMs).isEqualTo(10_000 + i);
                assertThat(QueryMerger.subtaskOf("a/" + hit.memoryId, 128, 2)).isEqualTo(sub);
            }
            seen.addAll(ids(r));
            s.close();
        }
        assertThat(seen).hasSize(n).doesNotHaveDuplicates();
    }

    /** haim.gpu.enabled without a usable GPU: with fallback the index answers on the CPU, without it fails clearly. */
    @Test
    void gpuSettingFallsBackToTheCpuOrFailsWithTheReason() throws Exception {
        String why = io.mnemocore.hdv.kernel.CudaKernel.unavailableReason();
        org.junit.jupiter.api.Assumptions.assumeTrue(why != null, "a GPU is present here");
        var h = harness(new HotIndex(D, "cuda", 1, 0, true, false, 128, 8, 4, 0), null);
        Hdv base = Hdv.random(D, 1);
        h.processElement(hot("a", "m", base.words()), 0);
        assertThat(ids(ask(h, query("a", base.words(), 1)))).containsExactly("m");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> harness(new HotIndex(D, "cuda", 1, 0, false, false, 128, 8, 4, 0), null))
                .hasStackTraceContaining(why);
    }

    /**
     * Clustered data (as real memories are): the approximate search (sketch scan, exact rescoring)
     * finds the exact top-10, compared with the reference kernel over the same rows, at each sketch
     * size the kernel has its own loop for, with candidates cut at 4 standard deviations.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1024, 512, 256})
    void approximateSearchMatchesExactOnClusteredData(int sketchBits) throws Exception {
        int dim = 16384;
        var h = harness(new HotIndex(dim, "cpu", 1, true, sketchBits, 16, 4, 0), null);
        Random rnd = new Random(5);
        HdvMatrix all = new HdvMatrix(dim, 2000);
        List<String> ids = new ArrayList<>();
        Hdv[] centers = new Hdv[40];
        for (int c = 0; c < centers.length; c++) {
            centers[c] = Hdv.random(dim, 1000 + c);
        }
        for (int i = 0; i < 2000; i++) {
            long[] v = flip(centers[i % centers.length], 500 + rnd.nextInt(2000), 7 * i).words();
            all.add(v);
            ids.add("m" + i);
            h.processElement(hot("a", "m" + i, v), 0);
        }
        int found = 0, wanted = 0;
        try (ReferenceKernel ref = new ReferenceKernel()) {
            for (int q = 0; q < 40; q++) {
                long[] query = flip(centers[q], 1000, 99 + q).words();
                TopK exact = ref.topK(all, query, 10);
                PartialResult r = ask(h, query("a", query, 10));
                assertThat(r.approximate).isTrue();
                List<String> got = ids(r);
                for (int i = 0; i < exact.size(); i++) {
                    wanted++;
                    if (got.contains(ids.get(exact.row(i)))) {
                        found++;
                    }
                }
                // Whatever it returns carries the exact distance.
                for (Hit hit : r.hits) {
                    assertThat(hit.distance).isEqualTo(Hdv.hamming(all.row(ids.indexOf(hit.memoryId)), query));
                }
            }
        }
        assertThat((double) found / wanted).as("recall@10").isGreaterThanOrEqualTo(0.99);
    }

    static Hdv flip(Hdv base, int bits, long seed) {
        long[] w = Arrays.copyOf(base.words(), base.words().length);
        Random r = new Random(seed);
        java.util.BitSet done = new java.util.BitSet();
        int n = 0;
        int dim = w.length * 64;
        while (n < bits) {
            int b = r.nextInt(dim);
            if (!done.get(b)) {
                done.set(b);
                w[b >>> 6] ^= 1L << (b & 63);
                n++;
            }
        }
        return Hdv.wrap(dim, w);
    }
}
