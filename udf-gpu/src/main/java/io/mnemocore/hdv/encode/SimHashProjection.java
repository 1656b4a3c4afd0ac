package io.mnemocore.hdv.encode;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import java.util.ArrayList;
import java.util.List;

/**
 * Random-hyperplane LSH (SimHash): bit j of the HDV is the sign of the embedding's dot product
 * with a seeded Gaussian hyperplane. For two embeddings at angle θ each bit differs with
 * probability θ/π, so normalized Hamming distance estimates θ/π with std √(p(1−p)/D).
 */
public final class SimHashProjection {
    private static final int TILE = 1024;
    private final int inputDim;
    private final int dim;
    /**
     * Hyperplanes stored transposed: planesT[i][j] is component i of plane j. The
     * projection is then 384 AXPYs over contiguous arrays, which the JIT vectorizes.
     */
    private final float[][] planesT;

    public SimHashProjection(int inputDim, int dim, long seed) {
        Hdv.checkDim(dim);
        this.inputDim = inputDim;
        this.dim = dim;
        this.planesT = new float[inputDim][dim];
        SplitMix64 rnd = new SplitMix64(SplitMix64.derive(seed, 0x53494D48L));
        for (int i = 0; i < inputDim; i++) {
            for (int j = 0; j < dim; j++) {
                planesT[i][j] = (float) rnd.nextGaussian();
            }
        }
    }

    public Hdv project(float[] embedding) {
        return projectBatch(List.of(embedding)).get(0);
    }

    /**
     * Projects many embeddings. The output is computed in column tiles whose slice of the
     * hyperplanes (384 x TILE floats) stays in L2 while every embedding of the batch uses it; a
     * naive pass streams all 25 MB of planes from memory per text.
     */
    public List<Hdv> projectBatch(List<float[]> embeddings) {
        int n = embeddings.size();
        for (float[] e : embeddings) {
            if (e.length != inputDim) {
                throw new IllegalArgumentException(
                        "embedding has " + e.length + " dimensions, expected " + inputDim);
            }
        }
        long[][] words = new long[n][dim / 64];
        float[] acc = new float[dim];
        for (int j0 = 0; j0 < dim; j0 += TILE) {
            int end = Math.min(dim, j0 + TILE);
            for (int b = 0; b < n; b++) {
                float[] e = embeddings.get(b);
                java.util.Arrays.fill(acc, j0, end, 0f);
                for (int i = 0; i < inputDim; i++) {
                    axpy(e[i], planesT[i], acc, j0, end);
                }
                long[] w = words[b];
                for (int j = j0; j < end; j++) {
                    if (acc[j] > 0f) {
                        w[j >>> 6] |= 1L << (j & 63);
                    }
                }
            }
        }
        List<Hdv> out = new ArrayList<>(n);
        for (long[] w : words) {
            out.add(Hdv.wrap(dim, w));
        }
        return out;
    }

    /**
     * y[from..to) += a * x[from..to). Same index on both arrays and a small hot method: C2
     * vectorizes this form (it did not with an offset between x and y).
     */
    private static void axpy(float a, float[] x, float[] y, int from, int to) {
        for (int j = from; j < to; j++) {
            y[j] += a * x[j];
        }
    }
}
