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
                    kernel.distances(m, q, out, hist);
                    assertThat(java.util.Arrays.copyOf(out, n)).isEqualTo(expectedOut);
                    assertThat(hist).as("%s, %d rows of %d bits", kernel.name(), n, dim).isEqualTo(expectedHist);
                    kernel.close();
                }
                assertThatThrownBy(() -> ref.distances(m, q, new char[n], new int[dim])).hasMessageContaining("histogram of " + (dim + 1));
            }
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
