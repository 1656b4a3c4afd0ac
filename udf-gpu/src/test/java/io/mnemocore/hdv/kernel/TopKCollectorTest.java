package io.mnemocore.hdv.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.SplitMix64;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TopKCollectorTest {
    @Test
    void keepsTheKSmallestKeysInOrder() {
        SplitMix64 rnd = new SplitMix64(1);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + (int) Long.remainderUnsigned(rnd.nextLong(), 300);
            int k = 1 + (int) Long.remainderUnsigned(rnd.nextLong(), 20);
            long[] keys = new long[n];
            TopKCollector c = new TopKCollector(k);
            for (int r = 0; r < n; r++) {
                int d = (int) Long.remainderUnsigned(rnd.nextLong(), 40); // many ties
                keys[r] = TopKCollector.key(d, r);
                c.offer(d, r);
            }
            Arrays.sort(keys);
            TopK t = c.result();
            assertThat(t.size()).isEqualTo(Math.min(k, n));
            for (int i = 0; i < t.size(); i++) {
                assertThat(TopKCollector.key(t.distance(i), t.row(i))).isEqualTo(keys[i]);
            }
        }
    }

    @Test
    void thresholdIsTheKthDistanceOnceFull() {
        TopKCollector c = new TopKCollector(2);
        assertThat(c.threshold()).isEqualTo(Integer.MAX_VALUE);
        c.offer(5, 0);
        c.offer(9, 1);
        assertThat(c.threshold()).isEqualTo(9);
        c.offer(3, 2);
        assertThat(c.threshold()).isEqualTo(5);
        assertThat(c.result().format()).isEqualTo("2:3 0:5");
    }
}
