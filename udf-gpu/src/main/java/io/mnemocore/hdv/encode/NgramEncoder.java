package io.mnemocore.hdv.encode;

import io.mnemocore.hdv.Bundler;
import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The classic HDC text encoder, no model needed: each character has a seeded random HDV; an
 * n-gram is the XOR of its characters, each permuted by its position; the text is the majority
 * bundle of its n-grams. Texts that share many n-grams land close together, unrelated ones near
 * D/2 (a little closer, since common n-grams like " th" recur in any English text).
 */
public final class NgramEncoder implements TextEncoder {
    private final int dim;
    private final int n;
    private final long seed;
    /** Permuted character vectors, keyed by codepoint and position in the n-gram. */
    private final ConcurrentHashMap<Long, long[]> charVectors = new ConcurrentHashMap<>();

    public NgramEncoder(int dim, int n, long seed) {
        Hdv.checkDim(dim);
        if (n < 1 || n > 16) {
            throw new IllegalArgumentException("n-gram size must be in [1, 16], got " + n);
        }
        this.dim = dim;
        this.n = n;
        this.seed = seed;
    }

    @Override
    public String name() {
        return "ngram";
    }

    @Override
    public int dim() {
        return dim;
    }

    /** Lower-cased, whitespace collapsed, one space of padding on each side. */
    static String normalize(String text) {
        String t = text.toLowerCase(Locale.ROOT).trim().replaceAll("\\s+", " ");
        return " " + t + " ";
    }

    @Override
    public Hdv encode(String text) {
        int[] cps = normalize(text).codePoints().toArray();
        if (cps.length < n) {
            int[] padded = new int[n];
            java.util.Arrays.fill(padded, ' ');
            System.arraycopy(cps, 0, padded, 0, cps.length);
            cps = padded;
        }
        int words = dim / 64;
        Bundler bundler = new Bundler(dim);
        long[] gram = new long[words];
        for (int start = 0; start + n <= cps.length; start++) {
            System.arraycopy(charVector(cps[start], n - 1), 0, gram, 0, words);
            for (int j = 1; j < n; j++) {
                long[] c = charVector(cps[start + j], n - 1 - j);
                for (int w = 0; w < words; w++) {
                    gram[w] ^= c[w];
                }
            }
            bundler.addWords(gram);
        }
        return bundler.majority();
    }

    private long[] charVector(int codepoint, int position) {
        long key = ((long) codepoint << 5) | position;
        return charVectors.computeIfAbsent(key, k ->
                Hdv.random(dim, SplitMix64.derive(seed, codepoint)).permute(position).words());
    }
}
