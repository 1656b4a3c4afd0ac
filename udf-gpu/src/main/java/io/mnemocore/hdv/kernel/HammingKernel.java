package io.mnemocore.hdv.kernel;

/**
 * Hamming distance search over an {@link HdvMatrix}.
 *
 * <p>Every implementation returns identical results: top-k sorted by (distance, row), with ties
 * going to the lower row index. That contract is what lets the job swap CPU and GPU kernels (and
 * lets tests compare any kernel against {@link ReferenceKernel}).
 */
public interface HammingKernel extends AutoCloseable {

    String name();

    /** Writes the distance of {@code query} to each of the first {@code m.rows()} rows. */
    void distances(HdvMatrix m, long[] query, int[] out);

    TopK topK(HdvMatrix m, long[] query, int k);

    /** Top-k of each query; implementations reuse each loaded row block for many queries. */
    TopK[] topKBatch(HdvMatrix m, long[][] queries, int k);

    @Override
    default void close() {}

    static void checkK(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
    }

    static void checkQuery(HdvMatrix m, long[] query) {
        if (query.length != m.wordsPerRow()) {
            throw new IllegalArgumentException(
                    "query has " + query.length + " words, matrix rows have " + m.wordsPerRow());
        }
    }
}
