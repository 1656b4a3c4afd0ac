package io.mnemocore.hdv.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HdvMatrixTest {
    private static final int DIM = 16384;
    /** Rows of 256 words: 4,096 of them are past the size worth preparing. */
    private static final int CAPACITY = 4096;

    private final List<Runnable> asked = new ArrayList<>();

    private static long[] row(int r) {
        return Hdv.random(DIM, r).words();
    }

    private static HdvMatrix filled(int rows) {
        HdvMatrix m = new HdvMatrix(DIM, CAPACITY);
        for (int r = 0; r < rows; r++) {
            m.add(row(r));
        }
        return m;
    }

    private static void assertRows(HdvMatrix m, int rows) {
        assertThat(m.rows()).isEqualTo(rows);
        for (int r = 0; r < rows; r++) {
            assertThat(m.row(r)).as("row %d", r).isEqualTo(row(r));
        }
    }

    @Test
    void aGrowthUsesTheArrayPreparedForItAndKeepsEveryRow() {
        HdvMatrix m = filled((2 * CAPACITY + 2) / 3 - 1); // one row short of two thirds
        assertThat(m.prepareGrowth(asked::add)).as("under two thirds full").isFalse();
        m.add(row(m.rows()));
        assertThat(m.prepareGrowth(asked::add)).isTrue();
        assertThat(m.prepareGrowth(asked::add)).as("asked once").isFalse();
        assertThat(asked).hasSize(1);
        asked.get(0).run();
        long[] prepared = m.preparedArray();
        assertThat(prepared).isNotNull().hasSizeGreaterThanOrEqualTo((CAPACITY + 1) * m.wordsPerRow());

        for (int r = m.rows(); r <= CAPACITY; r++) { // one past the capacity
            m.add(row(r));
        }
        assertThat(m.data()).isSameAs(prepared);
        assertThat(m.preparedArray()).isNull();
        assertRows(m, CAPACITY + 1);
        m.set(5, row(CAPACITY));
        assertThat(m.row(5)).isEqualTo(row(CAPACITY));
    }

    @Test
    void aPreparationThatAGrowthOvertookIsNotAllocated() {
        HdvMatrix m = filled(CAPACITY * 3 / 4);
        assertThat(m.prepareGrowth(asked::add)).isTrue();
        for (int r = m.rows(); r <= CAPACITY; r++) {
            m.add(row(r)); // grows by copying: the allocation has not run yet
        }
        asked.get(0).run();
        assertThat(((HdvMatrix.Preparation) asked.get(0)).ready()).as("not allocated once the growth came first").isNull();
        assertThat(m.preparedArray()).isNull();
        assertRows(m, CAPACITY + 1);
        assertThat(m.prepareGrowth(asked::add)).as("the next growth's, asked anew").isTrue();
        assertThat(asked).hasSize(2);
    }

    @Test
    void aSmallMatrixGrowsByCopyingAlone() {
        HdvMatrix m = new HdvMatrix(DIM, 64);
        for (int r = 0; r < 60; r++) {
            m.add(row(r));
            assertThat(m.prepareGrowth(asked::add)).isFalse();
        }
        assertThat(asked).isEmpty();
    }
}
