package io.mnemocore.hdv.bench;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.kernel.HdvMatrix;

/**
 * The benches' synthetic memories: a random center per {@value #PER_CLUSTER} memories (by default), each memory
 * 500–2,500 random bits from its center, and queries a fixed number of bits from a random center.
 * Uniformly random vectors would make every top-10 a matter of noise (all rows ~D/2 apart); with
 * clusters the top-10 is meaningful, so recall@10 says something about a search.
 */
public final class ClusteredData {
    public static final int PER_CLUSTER = 100;

    public final Hdv[] centers;
    public final HdvMatrix rows;

    private ClusteredData(Hdv[] centers, HdvMatrix rows) {
        this.centers = centers;
        this.rows = rows;
    }

    /** {@code n} memories, {@value #PER_CLUSTER} per center. */
    public static ClusteredData generate(int n, int dim, SplitMix64 rnd) {
        return generate(n, dim, PER_CLUSTER, rnd);
    }

    /** {@code n} memories, {@code perCluster} per center; memory i belongs to center {@code i % clusters}. */
    public static ClusteredData generate(int n, int dim, int perCluster, SplitMix64 rnd) {
        if (dim < 2500) {
            throw new IllegalArgumentException("clustered data puts memories up to 2,500 bits from their center: D must be at least that, got " + dim);
        }
        int clusters = Math.max(1, n / Math.max(1, perCluster));
        Hdv[] centers = new Hdv[clusters];
        for (int c = 0; c < clusters; c++) {
            centers[c] = Hdv.random(dim, 1_000_000L + c);
        }
        HdvMatrix rows = new HdvMatrix(dim, n);
        for (int i = 0; i < n; i++) {
            rows.add(flip(centers[i % clusters].words(), 500 + (int) Long.remainderUnsigned(rnd.nextLong(), 2000), rnd));
        }
        return new ClusteredData(centers, rows);
    }

    /** A query {@code bits} bits from a random center. */
    public long[] query(int bits, SplitMix64 rnd) {
        return flip(centers[(int) Long.remainderUnsigned(rnd.nextLong(), centers.length)].words(), bits, rnd);
    }

    /** A copy of {@code words} with {@code bits} distinct random positions flipped. */
    public static long[] flip(long[] words, int bits, SplitMix64 rnd) {
        long[] w = words.clone();
        int dim = w.length * 64;
        if (bits < 0 || bits > dim) {
            throw new IllegalArgumentException("cannot flip " + bits + " of " + dim + " bits");
        }
        // A bitmap of the flipped positions, not a HashSet<Integer>: the query bench's client shares
        // the job's JVM, and its set was a sixth of the garbage while the queries were measured.
        long[] done = new long[w.length];
        for (int n = 0; n < bits; ) {
            int b = (int) Long.remainderUnsigned(rnd.nextLong(), dim);
            long bit = 1L << (b & 63);
            if ((done[b >>> 6] & bit) == 0) {
                done[b >>> 6] |= bit;
                w[b >>> 6] ^= bit;
                n++;
            }
        }
        return w;
    }
}
