package io.mnemocore.hdv.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.bench.HammingBench;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every kernel must return exactly what the reference returns, ties included. */
class KernelEquivalenceTest {

    private static List<HammingKernel> fastKernels() {
        return List.of(new FastCpuKernel(1), new FastCpuKernel(2), new FastCpuKernel(3));
    }

    /** The sketch pass's fused distances and histogram equal the reference's distances, counted. */
    @Test
    void distancesWithAHistogramMatchReference() {
        ReferenceKernel ref = new ReferenceKernel();
        for (int dim : new int[] {64, 256, 512, 16384}) {
            for (int n : new int[] {1, 7, 1000}) {
                HdvMatrix m = HammingBench.generate(n, dim, dim + n);
                long[] q = HammingBench.flippedQueries(m, 1, 0.10, 11)[0];
                int[] expected = new int[n];
                ref.distances(m, q, expected);
                int[] expectedHist = new int[dim + 1];
                char[] expectedOut = new char[n];
                for (int r = 0; r < n; r++) {
                    expectedHist[expected[r]]++;
                    expectedOut[r] = (char) expected[r];
                }
                for (HammingKernel kernel : List.of(new FastCpuKernel(1), new FastCpuKernel(3), ref)) {
                    char[] out = new char[n + 2];
                    int[] hist = new int[dim + 1];
                    kernel.histogram(m, q, out, hist);
                    assertThat(java.util.Arrays.copyOf(out, n)).isEqualTo(expectedOut);
                    assertThat(hist).as("%s, %d rows of %d bits", kernel.name(), n, dim).isEqualTo(expectedHist);
                    kernel.close();
                }
                assertThatThrownBy(() -> ref.histogram(m, q, new char[n], new int[dim])).hasMessageContaining("histogram of " + (dim + 1));
            }
        }
    }

    /** The sketch pass in two halves, as the HOT index calls it; GpuCheck runs the same on the CUDA kernel. */
    @Test
    void sketchPassHistogramThenRowsWithinACutMatchReference() {
        for (HammingKernel kernel : List.of(new FastCpuKernel(1), new FastCpuKernel(3), new ReferenceKernel())) {
            assertThat(io.mnemocore.hdv.bench.GpuCheck.sketchPass(kernel)).as(kernel.name()).isEmpty();
            kernel.close();
        }
    }

    @Test
    void randomAndNearDuplicateQueriesMatchReference() {
        ReferenceKernel ref = new ReferenceKernel();
        for (int dim : new int[] {64, 256, 512, 1024, 16384}) {
            for (int n : new int[] {1, 7, 333, 1000}) {
                HdvMatrix m = HammingBench.generate(n, dim, dim + n);
                long[][] qs = HammingBench.flippedQueries(m, 5, 0.10, 11);
                long[][] random = {Hdv.random(dim, 5).words(), Hdv.random(dim, 6).words()};
                for (HammingKernel kernel : fastKernels()) {
                    for (int k : new int[] {1, 10, n + 5}) {
                        assertThat(kernel.topKBatch(m, qs, k)).isEqualTo(ref.topKBatch(m, qs, k));
                        assertThat(kernel.topKBatch(m, random, k)).isEqualTo(ref.topKBatch(m, random, k));
                        for (long[] q : qs) {
                            assertThat(kernel.topK(m, q, k)).isEqualTo(ref.topK(m, q, k));
                        }
                    }
                    int[] a = new int[n], b = new int[n];
                    kernel.distances(m, qs[0], a);
                    ref.distances(m, qs[0], b);
                    assertThat(a).isEqualTo(b);
                    kernel.close();
                }
            }
        }
    }

    /** The HOT index's exact pass over chosen rows, four at a time, equals offering every row's full distance. */
    @Test
    void rankingChosenRowsFourAtATimeMatchesEveryRowsFullDistance() {
        SplitMix64 rnd = new SplitMix64(11);
        for (int dim : new int[] {256, 4096, 16384}) {
            HdvMatrix m = new HdvMatrix(dim, 64);
            Hdv center = Hdv.random(dim, 5);
            for (int r = 0; r < 300; r++) {
                long[] w = center.words().clone();
                // near-duplicates at a few distances (ties), and unrelated rows
                if (r % 3 == 0) {
                    w = Hdv.random(dim, 100 + r).words();
                } else {
                    // flips spread over the row, so a group abandoned too early would miss some
                    for (int b = 0; b < 1 + r % 7; b++) {
                        w[b * 37 % w.length] ^= 1L << (b * 9 % 64);
                    }
                }
                m.add(w);
            }
            for (long[] q : new long[][] {center.words(), Hdv.random(dim, 9).words()}) {
                for (int count : new int[] {0, 1, 3, 4, 5, 8, 23, 150}) {
                    int[] rows = new int[count];
                    for (int i = 0; i < count; i++) {
                        rows[i] = (int) Long.remainderUnsigned(rnd.nextLong(), m.rows());
                    }
                    java.util.Arrays.sort(rows);
                    for (int k : new int[] {1, 5, 10}) {
                        TopKCollector expected = new TopKCollector(k);
                        for (int i = 0; i < count; i++) {
                            expected.offer(Hdv.hamming(m.row(rows[i]), q), rows[i]);
                        }
                        TopKCollector got = new TopKCollector(k);
                        FastCpuKernel.rankRows(m.data(), m.wordsPerRow(), q, rows, count, got);
                        assertThat(got.result()).as("D=%d, %d rows, k=%d", dim, count, k).isEqualTo(expected.result());
                    }
                }
            }
        }
    }

    @Test
    void tiesGoToTheLowerRow() {
        int dim = 256;
        HdvMatrix m = new HdvMatrix(dim, 4);
        Hdv base = Hdv.random(dim, 1);
        // Rows 0..199 alternate between two vectors at the same distance from the query.
        Hdv q = base;
        long[] flipA = base.words().clone();
        flipA[0] ^= 0b11;
        long[] flipB = base.words().clone();
        flipB[3] ^= 0b101L << 40;
        SplitMix64 rnd = new SplitMix64(3);
        for (int r = 0; r < 200; r++) {
            m.add((rnd.nextLong() & 1) == 0 ? flipA : flipB);
        }
        for (HammingKernel kernel : fastKernels()) {
            TopK top = kernel.topK(m, q.words(), 10);
            assertThat(top.rows()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
            assertThat(top.distances()).containsOnly(2);
            assertThat(top).isEqualTo(new ReferenceKernel().topK(m, q.words(), 10));
            kernel.close();
        }
    }

    @Test
    void exactMatchComesFirstAndRemovalKeepsTheMatrixDense() {
        HdvMatrix m = HammingBench.generate(50, 1024, 9);
        long[] row7 = m.row(7);
        TopK t = new FastCpuKernel(1).topK(m, row7, 3);
        assertThat(t.row(0)).isEqualTo(7);
        assertThat(t.distance(0)).isZero();

        long[] last = m.row(49);
        assertThat(m.removeSwapLast(7)).isEqualTo(49);
        assertThat(m.rows()).isEqualTo(49);
        assertThat(m.row(7)).isEqualTo(last);
        assertThat(m.removeSwapLast(48)).isEqualTo(-1);
    }

    @Test
    void rejectsMismatchedQueriesAndUnknownKernels() {
        HdvMatrix m = HammingBench.generate(10, 128, 1);
        assertThatThrownBy(() -> new FastCpuKernel(1).topK(m, new long[3], 1)).hasMessageContaining("words");
        assertThatThrownBy(() -> HammingKernels.create("nope", 1)).hasMessageContaining("unknown Hamming kernel");
        assertThatThrownBy(() -> new FastCpuKernel(1).topK(m, m.row(0), 0)).hasMessageContaining("k must be positive");
    }
}
