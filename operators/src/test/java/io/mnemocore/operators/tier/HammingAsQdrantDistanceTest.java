package io.mnemocore.operators.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The stored form in Qdrant (one 0/1 value per bit, uint8, Manhattan) ranks exactly as Hamming:
 * Manhattan over 0/1 values is the Hamming distance itself, computed here the way Qdrant does
 * (Σ|aᵢ − bᵢ| over the values the client sends).
 */
class HammingAsQdrantDistanceTest {
    static final int D = 16384;

    static double manhattan(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s;
    }

    @Test
    void manhattanOverStoredValuesEqualsHammingForRandomAndNearDuplicates() {
        SplittableRandom rnd = new SplittableRandom(11);
        long[] q = Hdv.random(D, 1).words();
        List<long[]> rows = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            rows.add(Hdv.random(D, rnd.nextLong()).words());
        }
        for (int flips : new int[] {0, 1, 2, 3, 5, 8, 13, 100, 499, 500, 501}) {
            long[] near = q.clone();
            for (int f = 0; f < flips; f++) {
                int bit = (f * 7919) % D; // distinct bits for f < D/7919-periods
                near[bit >>> 6] ^= 1L << (bit & 63);
            }
            rows.add(near);
            rows.add(near.clone()); // exact ties
        }
        float[] qv = QdrantWarmTier.toValues(q);
        List<Integer> byHamming = new ArrayList<>();
        List<Integer> byManhattan = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            int h = Hdv.hamming(rows.get(i), q);
            double m = manhattan(QdrantWarmTier.toValues(rows.get(i)), qv);
            assertThat(m).isEqualTo((double) h);
            byHamming.add(i);
            byManhattan.add(i);
            assertThat(QdrantWarmTier.fromValues(toList(QdrantWarmTier.toValues(rows.get(i))))).isEqualTo(rows.get(i));
        }
        byHamming.sort(Comparator.<Integer>comparingInt(i -> Hdv.hamming(rows.get(i), q)).thenComparing(i -> i));
        byManhattan.sort(Comparator.<Integer>comparingDouble(i -> manhattan(QdrantWarmTier.toValues(rows.get(i)), qv)).thenComparing(i -> i));
        assertThat(byManhattan).isEqualTo(byHamming);
        assertThat(Hdv.hamming(rows.get(byHamming.get(0)), q)).isZero();
    }

    static List<Float> toList(float[] v) {
        List<Float> l = new ArrayList<>(v.length);
        for (float f : v) {
            l.add(f);
        }
        return l;
    }
}
