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

    /**
     * The HOT index's sketch pass, first half: adds one to {@code histogram[distance]} for each row
     * and keeps the distances for {@link #rowsWithin}. CPU kernels keep them in {@code scratch} (16
     * bits a row, so for rows of at most 65,535 bits); the CUDA kernel keeps them on the device, so
     * only the histogram comes back. A kernel that can fuse the two passes does; this default takes
     * the distances from {@link #distances}.
     */
    default void histogram(HdvMatrix m, long[] query, char[] scratch, int[] histogram) {
        checkHistogram(m, scratch, histogram);
        int[] d = new int[m.rows()];
        distances(m, query, d);
        for (int r = 0; r < d.length; r++) {
            scratch[r] = (char) d[r];
            histogram[d[r]]++;
        }
    }

    /**
     * Second half: writes to {@code rows}, ascending, the {@code count} rows whose distance from
     * the last {@link #histogram} call on this kernel (same matrix, unchanged since) is at most
     * {@code cut}. {@code count} must be the histogram's sum over distances 0..cut.
     */
    default void rowsWithin(HdvMatrix m, char[] scratch, int cut, int[] rows, int count) {
        int found = 0;
        for (int r = 0; found < count; r++) {
            if (scratch[r] <= cut) {
                rows[found++] = r;
            }
        }
    }

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

    static void checkHistogram(HdvMatrix m, char[] out, int[] histogram) {
        if (m.dim() > Character.MAX_VALUE || out.length < m.rows() || histogram.length <= m.dim()) {
            throw new IllegalArgumentException("distances of " + m.rows() + " rows of " + m.dim() + " bits need 16-bit room for "
                    + m.rows() + " (got " + out.length + ") and a histogram of " + (m.dim() + 1) + " (got " + histogram.length + ")");
        }
    }

    static void checkQuery(HdvMatrix m, long[] query) {
        if (query.length != m.wordsPerRow()) {
            throw new IllegalArgumentException(
                    "query has " + query.length + " words, matrix rows have " + m.wordsPerRow());
        }
    }
}
