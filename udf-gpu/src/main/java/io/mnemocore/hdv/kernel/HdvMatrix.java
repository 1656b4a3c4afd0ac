package io.mnemocore.hdv.kernel;

import io.mnemocore.hdv.Hdv;
import java.util.Arrays;

/**
 * N packed HDVs in one row-major {@code long[]} (row r at words [r*W, (r+1)*W)).
 *
 * <p>One flat array keeps scans sequential for the hardware prefetcher. Rows are appended, and
 * removed by moving the last row into the hole, so the matrix stays dense.
 */
public final class HdvMatrix {
    private final int dim;
    private final int words;
    private long[] data;
    private int rows;
    /** Rows changed since a device copy last synced (GPU kernels upload only these). */
    private int dirtyFrom = Integer.MAX_VALUE;
    private int dirtyTo = -1;

    public HdvMatrix(int dim, int initialCapacity) {
        Hdv.checkDim(dim);
        this.dim = dim;
        this.words = dim / 64;
        this.data = new long[Math.max(1, initialCapacity) * words];
    }

    /** Wraps rows that are already packed (e.g. loaded from a file). */
    public static HdvMatrix wrap(int dim, long[] data, int rows) {
        HdvMatrix m = new HdvMatrix(dim, 1);
        if ((long) rows * m.words > data.length) {
            throw new IllegalArgumentException("data holds fewer than " + rows + " rows");
        }
        m.data = data;
        m.rows = rows;
        m.dirty(0, rows - 1);
        return m;
    }

    public int add(long[] row) {
        checkRow(row);
        ensureCapacity(rows + 1);
        System.arraycopy(row, 0, data, rows * words, words);
        dirty(rows, rows);
        return rows++;
    }

    public int add(Hdv h) {
        return add(h.words());
    }

    public void set(int r, long[] row) {
        checkIndex(r);
        checkRow(row);
        System.arraycopy(row, 0, data, r * words, words);
        dirty(r, r);
    }

    /**
     * Removes row {@code r} by moving the last row into its place.
     *
     * @return the old index of the row that now sits at {@code r}, or -1 if {@code r} was last
     */
    public int removeSwapLast(int r) {
        checkIndex(r);
        int last = rows - 1;
        if (r != last) {
            System.arraycopy(data, last * words, data, r * words, words);
            dirty(r, r);
        }
        rows--;
        return r == last ? -1 : last;
    }

    private void dirty(int from, int to) {
        dirtyFrom = Math.min(dirtyFrom, from);
        dirtyTo = Math.max(dirtyTo, to);
    }

    /** First row changed since {@link #markSynced()}, or Integer.MAX_VALUE if none. */
    public int dirtyFrom() {
        return dirtyFrom;
    }

    /** Last row changed since {@link #markSynced()}, or -1 if none (may lie beyond rows()). */
    public int dirtyTo() {
        return dirtyTo;
    }

    public void markSynced() {
        dirtyFrom = Integer.MAX_VALUE;
        dirtyTo = -1;
    }

    public long[] row(int r) {
        checkIndex(r);
        return Arrays.copyOfRange(data, r * words, (r + 1) * words);
    }

    public void clear() {
        rows = 0;
    }

    private void ensureCapacity(int need) {
        long needWords = (long) need * words;
        if (needWords > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException(
                    "HdvMatrix is limited to " + (Integer.MAX_VALUE - 16) / words + " rows at dim " + dim);
        }
        if (needWords > data.length) {
            long grown = Math.max(needWords, Math.min((long) data.length * 3 / 2 + words, Integer.MAX_VALUE - 16));
            data = Arrays.copyOf(data, (int) grown);
        }
    }

    private void checkRow(long[] row) {
        if (row.length != words) {
            throw new IllegalArgumentException("row has " + row.length + " words, expected " + words);
        }
    }

    private void checkIndex(int r) {
        if (r < 0 || r >= rows) {
            throw new IndexOutOfBoundsException("row " + r + " of " + rows);
        }
    }

    public int dim() {
        return dim;
    }

    public int wordsPerRow() {
        return words;
    }

    public int rows() {
        return rows;
    }

    /** The backing array; rows beyond {@link #rows()} are garbage. Read-only for kernels. */
    public long[] data() {
        return data;
    }

    public long bytes() {
        return (long) rows * words * 8;
    }
}
