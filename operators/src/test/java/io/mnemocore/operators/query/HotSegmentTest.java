package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.bench.ClusteredData;
import io.mnemocore.hdv.kernel.FastCpuKernel;
import io.mnemocore.hdv.kernel.ReferenceKernel;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.hdv.kernel.TopKCollector;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The two-stage search where the neighbourhood is denser than its candidate list. */
class HotSegmentTest {
    private static final int D = 16384;

    private static HotSegment segment(ClusteredData data, int sketchBits) {
        HotSegment s = new HotSegment(D, sketchBits);
        for (int r = 0; r < data.rows.rows(); r++) {
            HotMemory m = new HotMemory();
            m.hdv = data.rows.row(r);
            s.upsert("m" + r, m, new HotFacts());
        }
        return s;
    }

    /** Recall@10 of the approximate search against the reference kernel, over {@code queries} queries. */
    private static double recall(ClusteredData data, HotSegment s, int oversample, double margin, int queries, boolean expectWidened) {
        int found = 0, wanted = 0;
        SplitMix64 rnd = new SplitMix64(17);
        try (FastCpuKernel kernel = new FastCpuKernel(1); ReferenceKernel ref = new ReferenceKernel()) {
            for (int q = 0; q < queries; q++) {
                long[] query = data.query(1000, rnd);
                TopK exact = ref.topK(data.rows, query, 10);
                TopK got = s.search(kernel, query, 10, true, oversample, margin);
                assertThat(s.lastWidened()).isEqualTo(expectWidened);
                Set<Integer> rows = new HashSet<>();
                for (int i = 0; i < got.size(); i++) {
                    rows.add(got.row(i));
                    assertThat(got.distance(i)).isEqualTo(io.mnemocore.hdv.Hdv.hamming(data.rows.row(got.row(i)), query));
                }
                for (int i = 0; i < exact.size(); i++) {
                    wanted++;
                    found += rows.contains(exact.row(i)) ? 1 : 0;
                }
            }
        }
        return (double) found / wanted;
    }

    private static HotFacts facts(double strength, long updatedMs, double halfLifeMs, long lastAccessMs) {
        HotFacts f = new HotFacts();
        f.strength = strength;
        f.updatedMs = updatedMs;
        f.halfLifeMs = halfLifeMs;
        f.lastAccessMs = lastAccessMs;
        return f;
    }

    private static void assertFacts(HotSegment s, String id, double strength, long updatedMs, double halfLifeMs, long lastAccessMs) {
        Hit h = s.hit(s.rowOf(id), 7);
        assertThat(new Object[] {h.memoryId, h.distance, h.strength, h.updatedMs, h.halfLifeMs, h.lastAccessMs})
                .as(id).containsExactly(id, 7, strength, updatedMs, halfLifeMs, lastAccessMs);
    }

    @Test
    void eachRowKeepsItsFactsThroughTouchesReplacementsGrowthAndRemovals() {
        ClusteredData data = ClusteredData.generate(40, D, 10, new SplitMix64(9));
        HotSegment s = new HotSegment(D, 256);
        for (int r = 0; r < 40; r++) { // past the columns' first capacity (16)
            HotMemory m = new HotMemory();
            m.hdv = data.rows.row(r);
            assertThat(s.upsert("m" + r, m, facts(r, 1000 + r, 2000 + r, 3000 + r))).isTrue();
        }
        s.updateFacts("m3", facts(0.5, 1007, 8, 9)); // an access that kept it HOT
        assertFacts(s, "m3", 0.5, 1007, 8, 9);
        s.updateFacts("m3", facts(0.4, 1006, 8, 9)); // overtaken by a newer one on its way: ignored
        assertFacts(s, "m3", 0.5, 1007, 8, 9);
        s.updateFacts("gone", facts(1, 1, 1, 1)); // not here: nothing changes
        HotMemory again = new HotMemory();
        again.hdv = data.rows.row(5);
        assertThat(s.upsert("m5", again, facts(55, 5056, 57, 58))).isFalse(); // replaced in place
        HotMemory older = new HotMemory();
        older.hdv = data.rows.row(6);
        assertThat(s.upsert("m6", older, facts(66, 999, 67, 68))).isFalse(); // new content, but its facts are older than m6's
        assertFacts(s, "m6", 6, 1006, 2006, 3006);
        assertThat(s.remove("m3")).isTrue(); // the last row (m39) moves into its place
        assertThat(s.rows()).isEqualTo(39);
        assertThat(s.rowOf("m3")).isEqualTo(-1);
        assertFacts(s, "m39", 39, 1039, 2039, 3039);
        assertFacts(s, "m5", 55, 5056, 57, 58);
        assertFacts(s, "m0", 0, 1000, 2000, 3000);
        assertFacts(s, "m20", 20, 1020, 2020, 3020);
    }

    @Test
    void aCandidateListEndingInsideTheMarginWidensToEveryRowWithinIt() {
        // Four clusters of 500: 20 candidates (k x 2) cover a small part of the query's cluster.
        ClusteredData data = ClusteredData.generate(2000, D, 500, new SplitMix64(3));
        HotSegment s = segment(data, 512);
        assertThat(recall(data, s, 2, 4, 20, true)).as("recall@10, widened").isGreaterThanOrEqualTo(0.99);
        // It ranked the cluster, not the whole segment.
        assertThat(s.lastRanked()).isBetween(100, 1000);
        // Without a margin the list is all there is: the same search misses most of the top-10.
        assertThat(recall(data, s, 2, 0, 20, false)).as("recall@10, fixed list").isLessThan(0.8);
    }

    @Test
    void aMarginHoldingMostRowsFallsBackToTheExactScan() {
        ClusteredData data = ClusteredData.generate(1000, D, 1000, new SplitMix64(4));
        HotSegment s = segment(data, 256);
        try (FastCpuKernel kernel = new FastCpuKernel(1)) {
            long[] query = data.query(1000, new SplitMix64(5));
            TopK got = s.search(kernel, query, 10, true, 2, 4);
            assertThat(s.lastWidened()).isTrue();
            assertThat(s.lastRanked()).isEqualTo(1000);
            assertThat(got).isEqualTo(kernel.topK(data.rows, query, 10));
        }
    }

    @Test
    void sparseNeighbourhoodsStayWithinTheCandidateList() {
        ClusteredData data = ClusteredData.generate(4000, D, new SplitMix64(6));
        HotSegment s = segment(data, 512);
        assertThat(recall(data, s, 32, 4, 20, false)).isGreaterThanOrEqualTo(0.99);
        assertThat(s.lastRanked()).isLessThan(320);
    }

    /**
     * The rule the search documents, computed by brute force: it ranks exactly the rows whose sketch
     * distance is within the margin of the k-th best one, and returns their exact top-k; on the
     * CPU and the reference kernel alike.
     */
    @Test
    void itRanksExactlyTheRowsWithinTheMarginOfTheKthSketchDistance() {
        int sketchBits = 256;
        int margin = (int) Math.ceil(4 * Math.sqrt(sketchBits / 2.0));
        int[] cases = new int[3]; // within the list, widened, exact scan
        for (int perCluster : new int[] {20, 100, 400}) {
            ClusteredData data = ClusteredData.generate(3000, D, perCluster, new SplitMix64(perCluster));
            HotSegment s = segment(data, sketchBits);
            SplitMix64 rnd = new SplitMix64(7);
            try (FastCpuKernel cpu = new FastCpuKernel(1); ReferenceKernel ref = new ReferenceKernel()) {
                for (int q = 0; q < 10; q++) {
                    long[] query = data.query(q % 2 == 0 ? 1000 : 6000, rnd);
                    long[] sq = java.util.Arrays.copyOf(query, sketchBits / 64);
                    int n = data.rows.rows();
                    int[] sketchDist = new int[n];
                    for (int r = 0; r < n; r++) {
                        sketchDist[r] = io.mnemocore.hdv.Hdv.hamming(java.util.Arrays.copyOf(data.rows.row(r), sketchBits / 64), sq);
                    }
                    int cut = java.util.Arrays.stream(sketchDist).sorted().toArray()[9] + margin;
                    TopKCollector expected = new TopKCollector(10);
                    int within = 0;
                    for (int r = 0; r < n; r++) {
                        if (sketchDist[r] <= cut) {
                            within++;
                            expected.offer(io.mnemocore.hdv.Hdv.hamming(data.rows.row(r), query), r);
                        }
                    }
                    for (io.mnemocore.hdv.kernel.HammingKernel kernel : new io.mnemocore.hdv.kernel.HammingKernel[] {cpu, ref}) {
                        TopK got = s.search(kernel, query, 10, true, 32, 4);
                        assertThat(s.lastWidened()).isEqualTo(within >= 320);
                        cases[within > n / 2 ? 2 : within >= 320 ? 1 : 0]++;
                        if (within > n / 2) {
                            assertThat(s.lastRanked()).isEqualTo(n);
                            assertThat(got).isEqualTo(ref.topK(data.rows, query, 10));
                        } else {
                            assertThat(s.lastRanked()).as("rows ranked, %d per center", perCluster).isEqualTo(within);
                            assertThat(got).isEqualTo(expected.result());
                        }
                    }
                }
            }
        }
        assertThat(cases).as("searches within the list, widened, exact").doesNotContain(0);
    }
}
