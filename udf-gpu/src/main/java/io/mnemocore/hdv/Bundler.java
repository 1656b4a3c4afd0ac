package io.mnemocore.hdv;

import java.util.ArrayList;
import java.util.List;

/**
 * Accumulates HDVs for a majority bundle with bit-sliced counters: each per-bit count is held
 * across {@code log2(n)} bit planes, so adding one vector costs a few word operations per 64
 * bits instead of 64 increments.
 */
public final class Bundler {
    private final int dim;
    private final int nWords;
    private final List<long[]> planes = new ArrayList<>();
    private int count;

    public Bundler(int dim) {
        Hdv.checkDim(dim);
        this.dim = dim;
        this.nWords = dim / 64;
    }

    public Bundler add(Hdv h) {
        if (h.dim() != dim) {
            throw new IllegalArgumentException("dimension mismatch: " + dim + " vs " + h.dim());
        }
        return addWords(h.words());
    }

    public Bundler addWords(long[] v) {
        for (int w = 0; w < nWords; w++) {
            long carry = v[w];
            for (int p = 0; carry != 0; p++) {
                if (p == planes.size()) {
                    planes.add(new long[nWords]);
                }
                long[] plane = planes.get(p);
                long t = plane[w] & carry;
                plane[w] ^= carry;
                carry = t;
            }
        }
        count++;
        return this;
    }

    public int count() {
        return count;
    }

    /** Number of added vectors with bit {@code i} set. */
    public int bitCount(int i) {
        int c = 0;
        int w = i >>> 6;
        int b = i & 63;
        for (int p = 0; p < planes.size(); p++) {
            c |= (int) ((planes.get(p)[w] >>> b) & 1L) << p;
        }
        return c;
    }

    /** Bit i is set when more than half the vectors have it; exact halves follow the tie vector. */
    public Hdv majority() {
        if (count == 0) {
            throw new IllegalStateException("cannot bundle zero HDVs");
        }
        long[] tie = (count % 2 == 0) ? Hdv.random(dim, Hdv.TIE_BREAK_SEED).words() : null;
        long[] out = new long[nWords];
        for (int w = 0; w < nWords; w++) {
            long word = 0;
            for (int b = 0; b < 64; b++) {
                int c = 0;
                for (int p = 0; p < planes.size(); p++) {
                    c |= (int) ((planes.get(p)[w] >>> b) & 1L) << p;
                }
                int twice = 2 * c;
                if (twice > count || (twice == count && ((tie[w] >>> b) & 1L) != 0)) {
                    word |= 1L << b;
                }
            }
            out[w] = word;
        }
        return Hdv.wrap(dim, out);
    }
}
