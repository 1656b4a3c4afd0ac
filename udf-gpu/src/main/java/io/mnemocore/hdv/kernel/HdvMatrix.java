package io.mnemocore.hdv.kernel;

import io.mnemocore.hdv.Hdv;
import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * N packed HDVs in one row-major {@code long[]} (row r at words [r*W, (r+1)*W)).
 *
 * <p>One flat array keeps scans sequential for the hardware prefetcher. Rows are appended, and
 * removed by moving the last row into the hole, so the matrix stays dense.
 *
 * <p>Growing copies the rows into a 1.5× larger array. The new array's pages are first touched
 * then: the kernel zeroes each one as it faults in, which cost a HOT index thread ~200 ms of CPU
 * for one growth in a bench of 100,000 HOT memories, huge pages and all (README, Figures,
 * "Twenty-seventh pass"). {@link #prepareGrowth} lets another thread allocate, and so fault in, the next array
 * before it is needed; the growth then only copies the rows.
 */
public final class HdvMatrix {
    /** Below this many words a growth is too cheap to prepare (4 MB). */
    static final long PREPARE_MIN_WORDS = 1L << 19;

    private final int dim;
    private final int words;
    private long[] data;
    private int rows;
    /** The preparation asked for and not yet used by a growth ({@link #prepareGrowth}), or null. */
    private Preparation preparation;
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
            long[] next = preparation == null ? null : preparation.take();
            preparation = null;
            if (next != null && next.length >= needWords) {
                System.arraycopy(data, 0, next, 0, rows * words);
                data = next;
            } else {
                data = Arrays.copyOf(data, (int) grownWords(needWords));
            }
        }
    }

    /**
     * The array of one growth, allocated off the owner's thread. Held softly once allocated: a
     * matrix whose row count settles between two thirds and all of its capacity (a HOT tier at its
     * cap) would otherwise hold half as much again for good; under memory pressure the GC takes it
     * back and the growth copies as before. A growth never allocates beside a running allocation:
     * a 1,000,000-row bench ran out of heap in such a copy (our reading: with the old array and one
     * being allocated beside it).
     */
    static final class Preparation implements Runnable {
        private static final int QUEUED = 0, RUNNING = 1, DONE = 2, CANCELLED = 3;
        private final int size;
        private int state = QUEUED;
        private SoftReference<long[]> array;

        Preparation(int size) {
            this.size = size;
        }

        @Override
        public void run() {
            synchronized (this) {
                if (state != QUEUED) {
                    return; // a growth came first
                }
                state = RUNNING;
            }
            SoftReference<long[]> a = null;
            try {
                // The JVM zeroes a new array, so its pages are faulted in here (a profile showed that memset on this thread).
                a = new SoftReference<>(new long[size]);
            } finally {
                synchronized (this) {
                    array = a;
                    state = DONE;
                    notifyAll();
                }
            }
        }

        /** The array: null when none was allocated (the growth came first, or the allocation failed); waits for one under way. */
        synchronized long[] take() {
            if (state == QUEUED) {
                state = CANCELLED;
                return null;
            }
            boolean interrupted = false;
            while (state == RUNNING) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return array == null ? null : array.get();
        }

        /** The array, if allocated and not taken back by the GC. */
        synchronized long[] ready() {
            return state == DONE && array != null ? array.get() : null;
        }
    }

    private long grownWords(long needWords) {
        return Math.max(needWords, Math.min((long) data.length * 3 / 2 + words, Integer.MAX_VALUE - 16));
    }

    /**
     * Has {@code allocator} allocate the array of the next growth once the matrix is at least two
     * thirds full and that array is at least {@link #PREPARE_MIN_WORDS} long; otherwise, or when one is
     * already asked for, does nothing. The allocating thread pays the page faults of the new array.
     * A growth waits for an allocation under way, and copies as before when the allocation has not
     * started (it is then dropped) or the GC took the array back. Called by the matrix's owner, like
     * every method that changes it.
     *
     * @return whether it asked {@code allocator} for an array
     */
    public boolean prepareGrowth(java.util.concurrent.Executor allocator) {
        if (preparation != null) {
            return false;
        }
        long used = (long) rows * words;
        long next = grownWords(used + words);
        if (next < PREPARE_MIN_WORDS || used * 3 < (long) data.length * 2) {
            return false;
        }
        preparation = new Preparation((int) next);
        allocator.execute(preparation);
        return true;
    }

    /** The array of the next growth, allocated and waiting, or null (tests). */
    long[] preparedArray() {
        return preparation == null ? null : preparation.ready();
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
