package io.mnemocore.operators.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Stream entry ids parsed in place, as unsigned 64-bit numbers, and written back. */
class StreamIdsTest {

    @Test
    void parsesBothPartsAndWritesThemBack() {
        assertThat(StreamIds.millis("1796410034561-7")).isEqualTo(1796410034561L);
        assertThat(StreamIds.seq("1796410034561-7")).isEqualTo(7);
        assertThat(StreamIds.millis("42")).isEqualTo(42);
        assertThat(StreamIds.seq("42")).isZero();
        String max = "18446744073709551615-18446744073709551615"; // the largest id Redis allows
        assertThat(StreamIds.seq(max)).isEqualTo(-1L); // unsigned
        assertThat(StreamIds.format(StreamIds.millis(max), StreamIds.seq(max))).isEqualTo(max);
        assertThat(StreamIds.format(5, 0)).isEqualTo("5-0");
        assertThatThrownBy(() -> StreamIds.millis("x-1")).isInstanceOf(NumberFormatException.class);
    }

    @Test
    void ordersByMillisThenSequenceUnsigned() {
        assertThat(StreamIds.compare("1-9", "2-0")).isNegative();
        assertThat(StreamIds.compare("2-10", "2-9")).isPositive();
        assertThat(StreamIds.compare("3-3", "3-3")).isZero();
        assertThat(StreamIds.compare("18446744073709551615-0", "1-0")).isPositive();
    }
}
