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
    private final long[] carry;
    private int count;

    public Bundler(int dim) {
        Hdv.checkDim(dim);
        this.dim = dim;
        this.nWords = dim / 64;
        this.carry = new long[nWords];
    }

    public Bundler add(Hdv h) {
        if (h.dim() != dim) {
            throw new IllegalArgumentException("dimension mismatch: " + dim + " vs " + h.dim());
        }
        return addWords(h.words());
    }

    public Bundler addWords(long[] v) {
        // Enough planes for the new maximum count, so the ripple-carry below never overflows.
        int needed = 32 - Integer.numberOfLeadingZeros(count + 1);
        while (planes.size() < needed) {
            planes.add(new long[nWords]);
        }
        // Plane-outer, branch-free loops: the JIT vectorizes them, and there is no
        // data-dependent branch to mispredict.
        System.arraycopy(v, 0, carry, 0, nWords);
        for (int p = 0; p < needed; p++) {
            long[] plane = planes.get(p);
            for (int w = 0; w < nWords; w++) {
                long t = plane[w] & carry[w];
                plane[w] ^= carry[w];
                carry[w] = t;
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
        int half = count / 2;
        long[] tie = (count % 2 == 0) ? Hdv.random(dim, Hdv.TIE_BREAK_SEED).words() : null;
        long[] out = new long[nWords];
        for (int w = 0; w < nWords; w++) {
            // Bit-sliced comparison of all 64 counts against `half`, from the top plane down.
            long gt = 0;
            long eq = -1L;
            for (int p = planes.size() - 1; p >= 0; p--) {
                long plane = planes.get(p)[w];
                if (((half >>> p) & 1) != 0) {
                    eq &= plane;
                } else {
                    gt |= eq & plane;
                    eq &= ~plane;
                }
            }
            if ((half >>> planes.size()) != 0) { // half needs more planes than any count has
                gt = 0;
                eq = 0;
            }
            out[w] = tie == null ? gt : gt | (eq & tie[w]);
        }
        return Hdv.wrap(dim, out);
    }
}
