package io.mnemocore.hdv.kernel;

import java.util.Arrays;

/** The plain kernel every other one is checked against: full distances, then a full sort. */
public final class ReferenceKernel implements HammingKernel {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public void distances(HdvMatrix m, long[] query, int[] out) {
        HammingKernel.checkQuery(m, query);
        long[] d = m.data();
        int w = m.wordsPerRow();
        for (int r = 0; r < m.rows(); r++) {
            int dist = 0;
            for (int i = 0; i < w; i++) {
                dist += Long.bitCount(d[r * w + i] ^ query[i]);
            }
            out[r] = dist;
        }
    }

    @Override
    public TopK topK(HdvMatrix m, long[] query, int k) {
        HammingKernel.checkK(k);
        int n = m.rows();
        int[] dist = new int[n];
        distances(m, query, dist);
        long[] keys = new long[n];
        for (int r = 0; r < n; r++) {
            keys[r] = TopKCollector.key(dist[r], r);
        }
        Arrays.sort(keys);
        int size = Math.min(k, n);
        int[] rows = new int[size];
        int[] dists = new int[size];
        for (int i = 0; i < size; i++) {
            rows[i] = (int) keys[i];
            dists[i] = (int) (keys[i] >>> 32);
        }
        return new TopK(rows, dists);
    }

    @Override
    public TopK[] topKBatch(HdvMatrix m, long[][] queries, int k) {
        TopK[] out = new TopK[queries.length];
        for (int q = 0; q < queries.length; q++) {
            out[q] = topK(m, queries[q], k);
        }
        return out;
    }
}
