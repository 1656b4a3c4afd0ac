package io.mnemocore.operators.query;

import io.mnemocore.hdv.kernel.HammingKernel;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.hdv.kernel.TopKCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One tenant's HOT memories on one subtask: a packed matrix of full vectors, a packed matrix of
 * their sketches (the first {@code sketchBits} bits of each vector, an unbiased sample of its
 * positions), and each row's id and LTP facts. Rows are removed by moving the last row into the
 * hole, so both matrices stay dense for sequential scans.
 */
final class HotSegment {
    private final HdvMatrix full;
    private final HdvMatrix sketch;
    private final int sketchWords;
    private final List<String> ids = new ArrayList<>();
    /** Facts per row, without the vector (the matrix holds it). */
    private final List<HotMemory> facts = new ArrayList<>();
    private final Map<String, Integer> rowOf = new HashMap<>();

    HotSegment(int dim, int sketchBits) {
        this.full = new HdvMatrix(dim, 64);
        this.sketchWords = sketchBits / 64;
        this.sketch = new HdvMatrix(sketchBits, 64);
    }

    int rows() {
        return full.rows();
    }

    void upsert(String id, HotMemory m) {
        HotMemory f = withoutVector(m);
        Integer r = rowOf.get(id);
        if (r == null) {
            full.add(m.hdv);
            sketch.add(Arrays.copyOf(m.hdv, sketchWords));
            ids.add(id);
            facts.add(f);
            rowOf.put(id, full.rows() - 1);
        } else {
            full.set(r, m.hdv);
            sketch.set(r, Arrays.copyOf(m.hdv, sketchWords));
            facts.set(r, f);
        }
    }

    /** New LTP facts for a memory already in the segment (an access that kept it HOT). */
    void updateFacts(String id, HotMemory m) {
        Integer r = rowOf.get(id);
        if (r != null) {
            facts.set(r, withoutVector(m));
        }
    }

    void remove(String id) {
        Integer r = rowOf.remove(id);
        if (r == null) {
            return;
        }
        int moved = full.removeSwapLast(r);
        sketch.removeSwapLast(r);
        int last = ids.size() - 1;
        if (moved >= 0) {
            ids.set(r, ids.get(moved));
            facts.set(r, facts.get(moved));
            rowOf.put(ids.get(r), r);
        }
        ids.remove(last);
        facts.remove(last);
    }

    private static HotMemory withoutVector(HotMemory m) {
        HotMemory f = new HotMemory();
        f.payload = m.payload;
        f.contextId = m.contextId;
        f.strength = m.strength;
        f.updatedMs = m.updatedMs;
        f.halfLifeMs = m.halfLifeMs;
        f.lastAccessMs = m.lastAccessMs;
        return f;
    }

    /**
     * The k nearest rows by Hamming distance. Approximate: scan the sketches for the
     * {@code k * oversample} best candidates, then rank those by their exact distance.
     */
    TopK search(HammingKernel kernel, long[] query, int k, boolean approximate, int oversample) {
        int n = full.rows();
        int kk = Math.min(k, n);
        if (kk == 0) {
            return new TopK(new int[0], new int[0]);
        }
        if (!approximate) {
            return kernel.topK(full, query, kk);
        }
        int candidates = (int) Math.min(n, (long) kk * oversample);
        TopK c = kernel.topK(sketch, Arrays.copyOf(query, sketchWords), candidates);
        TopKCollector exact = new TopKCollector(kk);
        long[] d = full.data();
        int w = full.wordsPerRow();
        for (int i = 0; i < c.size(); i++) {
            int row = c.row(i);
            int dist = 0;
            for (int j = 0, base = row * w; j < w; j++) {
                dist += Long.bitCount(d[base + j] ^ query[j]);
            }
            exact.offer(dist, row);
        }
        return exact.result();
    }

    String id(int row) {
        return ids.get(row);
    }

    HotMemory facts(int row) {
        return facts.get(row);
    }
}
