package io.mnemocore.hdv.kernel;

/**
 * Bounded max-heap of the k best (distance, row) pairs, each packed into one long as
 * {@code distance << 32 | row}, so that comparing keys orders by distance and then by row: ties
 * go to the lower row on every kernel and across merges.
 */
public final class TopKCollector {
    private final int k;
    private final long[] heap;
    private int size;

    public TopKCollector(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        this.k = k;
        this.heap = new long[k];
    }

    public static long key(int distance, int row) {
        return ((long) distance << 32) | (row & 0xFFFFFFFFL);
    }

    /**
     * The largest distance that could still enter: a row whose partial distance already exceeds
     * it can be abandoned.
     */
    public int threshold() {
        return size < k ? Integer.MAX_VALUE : (int) (heap[0] >>> 32);
    }

    public void offer(int distance, int row) {
        offerKey(key(distance, row));
    }

    public void offerKey(long key) {
        if (size < k) {
            int i = size++;
            heap[i] = key;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] >= key) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = key;
        } else if (key < heap[0]) {
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                if (l >= size) {
                    break;
                }
                int r = l + 1;
                int c = (r < size && heap[r] > heap[l]) ? r : l;
                if (heap[c] <= key) {
                    break;
                }
                heap[i] = heap[c];
                i = c;
            }
            heap[i] = key;
        }
    }

    public void merge(TopKCollector other) {
        for (int i = 0; i < other.size; i++) {
            offerKey(other.heap[i]);
        }
    }

    public TopK result() {
        long[] sorted = java.util.Arrays.copyOf(heap, size);
        java.util.Arrays.sort(sorted);
        int[] rows = new int[size];
        int[] dists = new int[size];
        for (int i = 0; i < size; i++) {
            dists[i] = (int) (sorted[i] >>> 32);
            rows[i] = (int) sorted[i];
        }
        return new TopK(rows, dists);
    }
}
