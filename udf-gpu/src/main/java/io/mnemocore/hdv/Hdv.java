package io.mnemocore.hdv;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Collection;

/**
 * A binary hypervector of {@code dim} bits packed into {@code long[dim/64]}.
 *
 * <p>Bit {@code i} lives in word {@code i/64} at bit position {@code i%64} (LSB first). The numpy
 * layouts agents send are converted at the edges ({@link #fromPacked}, {@link #fromUnpacked}).
 * Instances are immutable: operations return new vectors.
 */
public final class Hdv implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Seed of the fixed vector that breaks ties when an even number of HDVs is bundled. */
    public static final long TIE_BREAK_SEED = 0x7469655F6272656BL; // "tie_brek"

    private final int dim;
    private final long[] words;

    private Hdv(int dim, long[] words) {
        this.dim = dim;
        this.words = words;
    }

    public static void checkDim(int dim) {
        if (dim <= 0 || dim % 64 != 0) {
            throw new IllegalArgumentException(
                    "dimensionality must be a positive multiple of 64, got " + dim);
        }
    }

    /** Wraps (without copying) words that the caller will not modify afterwards. */
    public static Hdv wrap(int dim, long[] words) {
        checkDim(dim);
        if (words.length != dim / 64) {
            throw new IllegalArgumentException(
                    "expected " + dim / 64 + " words for dim " + dim + ", got " + words.length);
        }
        return new Hdv(dim, words);
    }

    public static Hdv zeros(int dim) {
        checkDim(dim);
        return new Hdv(dim, new long[dim / 64]);
    }

    /** A seeded uniformly random HDV; the same (dim, seed) gives the same vector everywhere. */
    public static Hdv random(int dim, long seed) {
        checkDim(dim);
        SplitMix64 rnd = new SplitMix64(seed);
        long[] w = new long[dim / 64];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextLong();
        }
        return new Hdv(dim, w);
    }

    /**
     * The Hamming distance between {@code random(dim, seed)} and {@code v}, generating the random
     * words as it goes instead of making the vector: the rerank measures every hit's item vector
     * against the context hologram, and made anew those vectors were about half of what the reply
     * chain allocated a query in a context (README, Figures, "Twenty-fifth pass").
     */
    public static int hammingToRandom(int dim, long seed, long[] v) {
        checkDim(dim);
        if (v.length != dim / 64) {
            throw new IllegalArgumentException("dimension mismatch: " + dim + " vs " + v.length * 64);
        }
        SplitMix64 rnd = new SplitMix64(seed);
        int d = 0;
        for (long w : v) {
            d += Long.bitCount(rnd.nextLong() ^ w);
        }
        return d;
    }

    /** The HDV of a string id (a context id, a symbol): stable across machines and runs. */
    public static Hdv fromId(String id, int dim) {
        return random(dim, SplitMix64.hash(id));
    }

    // ---- numpy layouts -------------------------------------------------------------------

    /** From {@code numpy.packbits} order: D/8 bytes, bit i at byte i/8, mask 0x80 >> (i%8). */
    public static Hdv fromPacked(byte[] packed, int dim) {
        return fromPacked(packed, 0, dim);
    }

    public static Hdv fromPacked(byte[] packed, int offset, int dim) {
        checkDim(dim);
        if (packed.length - offset < dim / 8) {
            throw new IllegalArgumentException(
                    "packed HDV needs " + dim / 8 + " bytes, got " + (packed.length - offset));
        }
        long[] w = new long[dim / 64];
        unpackWords(packed, offset, w, 0, w.length);
        return new Hdv(dim, w);
    }

    /** Converts {@code nWords*8} packbits-order bytes into words (shared with matrix loaders). */
    public static void unpackWords(byte[] src, int srcOff, long[] dst, int dstOff, int nWords) {
        for (int i = 0; i < nWords; i++) {
            int o = srcOff + i * 8;
            long le = (src[o] & 0xFFL)
                    | (src[o + 1] & 0xFFL) << 8
                    | (src[o + 2] & 0xFFL) << 16
                    | (src[o + 3] & 0xFFL) << 24
                    | (src[o + 4] & 0xFFL) << 32
                    | (src[o + 5] & 0xFFL) << 40
                    | (src[o + 6] & 0xFFL) << 48
                    | (src[o + 7] & 0xFFL) << 56;
            // packbits is MSB-first within each byte; reverse bits inside every byte.
            dst[dstOff + i] = Long.reverseBytes(Long.reverse(le));
        }
    }

    /** From D bytes of 0/1, as {@code (x > 0).astype(np.uint8).tobytes()} gives. */
    public static Hdv fromUnpacked(byte[] bits, int dim) {
        checkDim(dim);
        if (bits.length != dim) {
            throw new IllegalArgumentException(
                    "unpacked HDV needs " + dim + " bytes, got " + bits.length);
        }
        long[] w = new long[dim / 64];
        for (int i = 0; i < dim; i++) {
            int b = bits[i];
            if (b == 1) {
                w[i >>> 6] |= 1L << (i & 63);
            } else if (b != 0) {
                throw new IllegalArgumentException(
                        "unpacked HDV byte " + i + " is " + (b & 0xFF) + ", expected 0 or 1");
            }
        }
        return new Hdv(dim, w);
    }

    public byte[] toPacked() {
        byte[] out = new byte[dim / 8];
        packWords(words, 0, words.length, out, 0);
        return out;
    }

    public static void packWords(long[] src, int srcOff, int nWords, byte[] dst, int dstOff) {
        for (int i = 0; i < nWords; i++) {
            long le = Long.reverse(Long.reverseBytes(src[srcOff + i]));
            int o = dstOff + i * 8;
            for (int b = 0; b < 8; b++) {
                dst[o + b] = (byte) (le >>> (8 * b));
            }
        }
    }

    public byte[] toUnpacked() {
        byte[] out = new byte[dim];
        for (int i = 0; i < dim; i++) {
            out[i] = (byte) ((words[i >>> 6] >>> (i & 63)) & 1L);
        }
        return out;
    }

    // ---- algebra -------------------------------------------------------------------------

    /** XOR binding: commutative, associative, self-inverse. */
    public Hdv bind(Hdv other) {
        requireSameDim(other);
        long[] w = new long[words.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = words[i] ^ other.words[i];
        }
        return new Hdv(dim, w);
    }

    /**
     * Cyclic shift by {@code shift} bit positions: bit i moves to (i + shift) mod D. Negative
     * shifts rotate the other way, so {@code permute(k).permute(-k)} is the identity.
     */
    public Hdv permute(int shift) {
        int s = Math.floorMod(shift, dim);
        if (s == 0) {
            return this;
        }
        int n = words.length;
        int wordShift = s >>> 6;
        int bitShift = s & 63;
        long[] w = new long[n];
        for (int i = 0; i < n; i++) {
            long cur = words[Math.floorMod(i - wordShift, n)];
            if (bitShift == 0) {
                w[i] = cur;
            } else {
                long prev = words[Math.floorMod(i - wordShift - 1, n)];
                w[i] = (cur << bitShift) | (prev >>> (64 - bitShift));
            }
        }
        return new Hdv(dim, w);
    }

    public int hamming(Hdv other) {
        requireSameDim(other);
        return hamming(words, other.words);
    }

    public static int hamming(long[] a, long[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) {
            d += Long.bitCount(a[i] ^ b[i]);
        }
        return d;
    }

    /** 1 − hamming/D: 1 for equal vectors, ≈ 0.5 for unrelated ones, 0 for complements. */
    public double similarity(Hdv other) {
        return 1.0 - (double) hamming(other) / dim;
    }

    public int popcount() {
        int c = 0;
        for (long x : words) {
            c += Long.bitCount(x);
        }
        return c;
    }

    public boolean bit(int i) {
        return ((words[i >>> 6] >>> (i & 63)) & 1L) != 0;
    }

    /** Majority bundle; even counts break ties with the fixed {@link #TIE_BREAK_SEED} vector. */
    public static Hdv bundle(Collection<Hdv> items) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("cannot bundle zero HDVs");
        }
        Bundler b = new Bundler(items.iterator().next().dim);
        for (Hdv h : items) {
            b.add(h);
        }
        return b.majority();
    }

    private void requireSameDim(Hdv other) {
        if (other.dim != dim) {
            throw new IllegalArgumentException("dimension mismatch: " + dim + " vs " + other.dim);
        }
    }

    public int dim() {
        return dim;
    }

    /** The backing words. Callers must not modify them. */
    public long[] words() {
        return words;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hdv && ((Hdv) o).dim == dim && Arrays.equals(((Hdv) o).words, words);
    }

    @Override
    public int hashCode() {
        return 31 * dim + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "Hdv{dim=" + dim + ", popcount=" + popcount() + "}";
    }
}
