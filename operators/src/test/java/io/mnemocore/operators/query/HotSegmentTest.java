package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.bench.ClusteredData;
import io.mnemocore.hdv.kernel.FastCpuKernel;
import io.mnemocore.hdv.kernel.ReferenceKernel;
import io.mnemocore.hdv.kernel.TopK;
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
}
