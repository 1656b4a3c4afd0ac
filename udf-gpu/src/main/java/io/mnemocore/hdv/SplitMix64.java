package io.mnemocore.hdv;

import java.nio.charset.StandardCharsets;

/**
 * SplitMix64 generator and a stable string hash.
 *
 * <p>Written out here rather than taken from {@code java.util.SplittableRandom} so that seeded HDVs
 * stay bit-identical across JDK versions, machines and runs: an id's HDV is part of the stored
 * data, and any drift would silently break every search.
 */
public final class SplitMix64 {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    public long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform double in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Standard normal via Box-Muller (one value per call, deterministic). */
    public double nextGaussian() {
        double u1 = nextDouble();
        double u2 = nextDouble();
        if (u1 < 1e-300) {
            u1 = 1e-300;
        }
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a over UTF-8 bytes, finished with a SplitMix round for avalanche. */
    public static long hash(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x100000001B3L;
        }
        return mix(h);
    }

    /** Combines a seed with a salt, so one seed yields independent streams. */
    public static long derive(long seed, long salt) {
        return mix(seed ^ mix(salt + GOLDEN));
    }
}
