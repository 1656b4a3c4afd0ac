package io.mnemocore.hdv.bench;

import io.mnemocore.hdv.Bundler;
import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.kernel.CudaKernel;
import io.mnemocore.hdv.kernel.HammingKernel;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.ReferenceKernel;
import io.mnemocore.hdv.kernel.TopK;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The CUDA kernel's correctness checks against the reference kernel, as a program: the unit
 * tests call it, and the GPU bundle runs it on hosts without a JDK or Maven. Random rows,
 * near-duplicates, exact ties, N not a multiple of the block sizes, batches, incremental
 * updates of the resident matrix, batches in several passes, majority bundling, the sketch pass. Prints each failure; exit code 1 if any.
 */
public final class GpuCheck {
    private GpuCheck() {}

    public static void main(String[] args) {
        String why = CudaKernel.unavailableReason();
        if (why != null) {
            System.out.println("SKIP: " + why);
            System.exit(2);
        }
        List<String> failures = run(0);
        failures.forEach(f -> System.out.println("FAIL: " + f));
        System.out.println(failures.isEmpty() ? "PASS: CUDA results equal the reference kernel" : failures.size() + " failures");
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Every mismatch found on the given device; empty when all agree. */
    public static List<String> run(int device) {
        List<String> fail = new ArrayList<>();
        try (CudaKernel gpu = CudaKernel.open(device); ReferenceKernel ref = new ReferenceKernel()) {
            for (int n : new int[] {1, 7, 1023, 1025, 5000, 100_003}) {
                HdvMatrix m = HammingBench.generate(n, 16384, n);
                long[] q = m.row(n / 2).clone();
                q[0] ^= 0xFFL; // a near-duplicate of one row
                for (int k : new int[] {1, 10, 100}) {
                    expect(fail, "topK n=" + n + " k=" + k, gpu.topK(m, q, k), ref.topK(m, q, k));
                }
                long[][] batch = new long[17][];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = m.row((i * 31) % n);
                }
                TopK[] got = gpu.topKBatch(m, batch, 10);
                for (int i = 0; i < batch.length; i++) {
                    expect(fail, "topKBatch n=" + n + " query " + i, got[i], ref.topK(m, batch[i], 10));
                }
            }
            // More queries than one pass holds (1,048,576 keys of 8 bytes a query: 128 a pass), so
            // the batch runs in two passes; 64-bit rows, so ties everywhere.
            HdvMatrix wide = HammingBench.generate(1 << 20, 64, 5);
            long[][] many = new long[130][];
            for (int i = 0; i < many.length; i++) {
                many[i] = wide.row((i * 7919) % wide.rows());
            }
            TopK[] gotMany = gpu.topKBatch(wide, many, 10);
            for (int i = 0; i < many.length; i++) {
                expect(fail, "topKBatch in two passes, query " + i, gotMany[i], ref.topK(wide, many[i], 10));
            }
            HdvMatrix m = new HdvMatrix(1024, 8);
            Hdv a = Hdv.random(1024, 1);
            for (int i = 0; i < 3000; i++) {
                m.add(i % 3 == 0 ? a.words() : Hdv.random(1024, 100 + i).words()); // 1,000 exact ties
            }
            expect(fail, "ties", gpu.topK(m, a.words(), 50), ref.topK(m, a.words(), 50));
            m.set(5, a.words());
            m.removeSwapLast(0);
            m.add(Hdv.random(1024, 9).words());
            expect(fail, "after set/remove/add", gpu.topK(m, a.words(), 50), ref.topK(m, a.words(), 50));
            int[] d = new int[m.rows()];
            int[] e = new int[m.rows()];
            gpu.distances(m, a.words(), d);
            ref.distances(m, a.words(), e);
            expect(fail, "distances", java.util.Arrays.toString(d), java.util.Arrays.toString(e));
            Random r = new Random(3);
            for (int n : new int[] {1, 2, 7, 64, 1000}) {
                long[][] vs = new long[n][];
                Bundler b = new Bundler(16384);
                for (int i = 0; i < n; i++) {
                    vs[i] = Hdv.random(16384, r.nextLong()).words();
                    b.addWords(vs[i]);
                }
                expect(fail, "bundle n=" + n, gpu.bundle(16384, vs), b.majority());
            }
            fail.addAll(sketchPass(gpu));
            // The bench's limit for the GPU: a copy cannot beat what the memory clock and bus allow.
            double copy = gpu.deviceBandwidthGbs(256L << 20);
            double peak = gpu.devicePeakBandwidthGbs();
            if (!(copy > 0 && peak > 0 && copy <= 1.1 * peak)) {
                fail.add("device bandwidth: copies ran at " + copy + " GB/s, the attributes' peak is " + peak + " GB/s");
            }
        }
        return fail;
    }

    /**
     * The HOT index's sketch pass in its two halves ({@code histogram}, then {@code rowsWithin} at
     * several cuts) against the reference kernel's distances. 16,384-bit rows are wider than the
     * CUDA kernel's device histogram, so they check its host path. The unit tests run this on the
     * CPU kernels too.
     */
    public static List<String> sketchPass(HammingKernel kernel) {
        List<String> fail = new ArrayList<>();
        ReferenceKernel ref = new ReferenceKernel();
        for (int dim : new int[] {64, 256, 1024, 16384}) {
            for (int n : dim == 16384 ? new int[] {1, 7, 1025} : new int[] {1, 7, 1025, 20_011}) {
                HdvMatrix m = HammingBench.generate(n, dim, dim + n);
                long[] q = HammingBench.flippedQueries(m, 1, 0.10, 11)[0];
                int[] d = new int[n];
                ref.distances(m, q, d);
                int[] want = new int[dim + 1];
                int min = dim;
                for (int x : d) {
                    want[x]++;
                    min = Math.min(min, x);
                }
                String at = kernel.name() + " sketch pass, " + n + " rows of " + dim + " bits";
                char[] scratch = new char[n];
                int[] hist = new int[dim + 1];
                kernel.histogram(m, q, scratch, hist);
                expect(fail, at + ", histogram", Arrays.toString(hist), Arrays.toString(want));
                for (int cut : new int[] {min - 1, min, min + dim / 64, dim / 2, dim}) {
                    int[] wantRows = IntStream.range(0, n).filter(r -> d[r] <= cut).toArray();
                    int[] rows = new int[wantRows.length + 1];
                    kernel.rowsWithin(m, scratch, cut, rows, wantRows.length);
                    expect(fail, at + ", rows within " + cut, Arrays.toString(Arrays.copyOf(rows, wantRows.length)),
                            Arrays.toString(wantRows));
                }
            }
        }
        return fail;
    }

    private static void expect(List<String> fail, String what, Object got, Object want) {
        if (!got.equals(want)) {
            String g = got.toString(), w = want.toString();
            fail.add(what + ": got " + g.substring(0, Math.min(200, g.length())) + " want " + w.substring(0, Math.min(200, w.length())));
        }
    }
}
