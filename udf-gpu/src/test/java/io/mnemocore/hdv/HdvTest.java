package io.mnemocore.hdv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HdvTest {
    private static final int D = 16384;
    private static final double SIGMA = Math.sqrt(D) / 2; // std of Hamming between random HDVs

    @Test
    void bindingIsCommutativeAssociativeAndSelfInverse() {
        for (int t = 0; t < 20; t++) {
            Hdv a = Hdv.random(D, 3 * t), b = Hdv.random(D, 3 * t + 1), c = Hdv.random(D, 3 * t + 2);
            assertThat(a.bind(b)).isEqualTo(b.bind(a));
            assertThat(a.bind(b).bind(c)).isEqualTo(a.bind(b.bind(c)));
            assertThat(a.bind(b).bind(b)).isEqualTo(a);
            assertThat(a.bind(a).popcount()).isZero();
        }
    }

    /** The streamed distance is the distance to the vector that random(dim, seed) makes, bit for bit. */
    @Test
    void hammingToRandomIsTheDistanceToTheSeededVector() {
        for (int dim : new int[] {64, 1024, D}) {
            for (long seed = -3; seed < 40; seed++) {
                long[] v = Hdv.random(dim, 1000 + seed).words();
                if (seed % 7 == 0) {
                    v = Hdv.random(dim, seed).words().clone();
                    v[v.length / 2] ^= 0x5L; // two bits from the seeded vector itself
                }
                assertThat(Hdv.hammingToRandom(dim, seed, v)).isEqualTo(Hdv.hamming(Hdv.random(dim, seed).words(), v));
            }
        }
        assertThat(Hdv.hammingToRandom(D, 9, Hdv.random(D, 9).words())).isZero();
        assertThatThrownBy(() -> Hdv.hammingToRandom(D, 9, new long[3])).hasMessageContaining("dimension mismatch");
    }

    @Test
    void permuteRoundTripsAndIsACyclicShift() {
        Hdv a = Hdv.random(D, 7);
        for (int k : new int[] {0, 1, 63, 64, 65, 1000, D - 1, D, -5, 3 * D + 17}) {
            assertThat(a.permute(k).permute(-k)).isEqualTo(a);
            Hdv p = a.permute(k);
            for (int i = 0; i < D; i += 97) {
                assertThat(p.bit(Math.floorMod(i + k, D))).isEqualTo(a.bit(i));
            }
        }
        // A permuted vector is unrelated to the original.
        assertThat(Math.abs(a.permute(1).hamming(a) - D / 2.0)).isLessThan(5 * SIGMA);
    }

    @Test
    void randomPairsSitAtHalfDimension() {
        for (int t = 0; t < 200; t++) {
            int d = Hdv.random(D, 1000 + t).hamming(Hdv.random(D, 5000 + t));
            assertThat(Math.abs(d - D / 2.0)).as("pair %d distance %d", t, d).isLessThan(5 * SIGMA);
        }
    }

    @Test
    void everyMemberOfA51ItemBundleIsCloserThanChance() {
        List<Hdv> items = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            items.add(Hdv.random(D, 900 + i));
        }
        Hdv bundle = Hdv.bundle(items);
        double bound = D / 2.0 - 5 * SIGMA;
        for (Hdv h : items) {
            assertThat((double) h.hamming(bundle)).isLessThan(bound);
        }
        // A vector that is not in the bundle is not close to it.
        assertThat(Math.abs(Hdv.random(D, 1).hamming(bundle) - D / 2.0)).isLessThan(5 * SIGMA);
    }

    @Test
    void bundleIsBitwiseMajorityWithDeterministicTieBreak() {
        int dim = 128;
        List<Hdv> items = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            items.add(Hdv.random(dim, 40 + i));
        }
        Hdv b = Hdv.bundle(items);
        Hdv tie = Hdv.random(dim, Hdv.TIE_BREAK_SEED);
        for (int bit = 0; bit < dim; bit++) {
            int c = 0;
            for (Hdv h : items) {
                c += h.bit(bit) ? 1 : 0;
            }
            boolean expected = c > 3 || (c == 3 && tie.bit(bit));
            assertThat(b.bit(bit)).as("bit %d count %d", bit, c).isEqualTo(expected);
        }
        assertThat(Hdv.bundle(items)).isEqualTo(b);
        assertThat(Hdv.bundle(List.of(items.get(0)))).isEqualTo(items.get(0));
    }

    @Test
    void bundlerCountsEveryBit() {
        Bundler bd = new Bundler(256);
        List<Hdv> items = new ArrayList<>();
        for (int i = 0; i < 37; i++) {
            items.add(Hdv.random(256, i));
            bd.add(items.get(i));
        }
        for (int bit = 0; bit < 256; bit++) {
            int c = 0;
            for (Hdv h : items) {
                c += h.bit(bit) ? 1 : 0;
            }
            assertThat(bd.bitCount(bit)).isEqualTo(c);
        }
    }

    @Test
    void similarityIsNormalizedHamming() {
        Hdv a = Hdv.random(D, 1);
        assertThat(a.similarity(a)).isEqualTo(1.0);
        Hdv inverse = a.bind(Hdv.wrap(D, filled(D / 64, -1L)));
        assertThat(a.similarity(inverse)).isEqualTo(0.0);
        assertThat(a.hamming(inverse)).isEqualTo(D);
    }

    @Test
    void idVectorsAreStableAcrossRuns() {
        // Pinned values: a change here would orphan every stored context binding.
        Hdv h = Hdv.fromId("context:kitchen", D);
        assertThat(h).isEqualTo(Hdv.fromId("context:kitchen", D));
        assertThat(h.words()[0]).isEqualTo(Hdv.random(D, SplitMix64.hash("context:kitchen")).words()[0]);
        assertThat(SplitMix64.hash("")).isEqualTo(SplitMix64.mix(0xCBF29CE484222325L));
        assertThat(new SplitMix64(0).nextLong()).isEqualTo(0xE220A8397B1DCDAFL); // reference SplitMix64 output
        assertThat(Hdv.fromId("a", D)).isNotEqualTo(Hdv.fromId("b", D));
    }

    @Test
    void packedLayoutMatchesNumpyPackbits() {
        // numpy.packbits: bit i -> byte i/8, mask 0x80 >> (i%8).
        int dim = 128;
        byte[] unpacked = new byte[dim];
        unpacked[0] = 1;   // byte 0 = 0x80
        unpacked[9] = 1;   // byte 1 = 0x40
        unpacked[127] = 1; // byte 15 = 0x01
        Hdv h = Hdv.fromUnpacked(unpacked, dim);
        byte[] packed = h.toPacked();
        assertThat(packed[0]).isEqualTo((byte) 0x80);
        assertThat(packed[1]).isEqualTo((byte) 0x40);
        assertThat(packed[15]).isEqualTo((byte) 0x01);
        assertThat(Hdv.fromPacked(packed, dim)).isEqualTo(h);
        assertThat(h.toUnpacked()).isEqualTo(unpacked);

        Hdv r = Hdv.random(D, 99);
        assertThat(Hdv.fromPacked(r.toPacked(), D)).isEqualTo(r);
        assertThat(Hdv.fromUnpacked(r.toUnpacked(), D)).isEqualTo(r);
        for (int i = 0; i < D; i += 131) {
            assertThat((r.toPacked()[i / 8] >> (7 - i % 8)) & 1).isEqualTo(r.bit(i) ? 1 : 0);
        }
    }

    @Test
    void rejectsBadDimensionsAndLayouts() {
        assertThatThrownBy(() -> Hdv.random(100, 1)).hasMessageContaining("multiple of 64");
        assertThatThrownBy(() -> Hdv.fromPacked(new byte[10], D)).hasMessageContaining("2048 bytes");
        byte[] bad = new byte[128];
        bad[5] = 2;
        assertThatThrownBy(() -> Hdv.fromUnpacked(bad, 128)).hasMessageContaining("byte 5 is 2");
        assertThatThrownBy(() -> Hdv.random(128, 1).bind(Hdv.random(192, 1))).hasMessageContaining("mismatch");
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
