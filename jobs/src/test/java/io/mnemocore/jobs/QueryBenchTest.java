package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The load figures {@code bench query} prints beside its latencies. */
class QueryBenchTest {

    @Test
    void machineAndJvmCpuCountersAdvanceWithWork() {
        long[] before = QueryBench.machineCpuTicks();
        long jvmBefore = QueryBench.jvmCpuNanos();
        assertThat(before).as("/proc/stat on Linux").isNotNull();
        assertThat(before[0]).isGreaterThan(before[1]).isGreaterThan(0);
        long sink = 0;
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) {
            sink += Long.bitCount(sink * 31 + 7);
        }
        long[] after = QueryBench.machineCpuTicks();
        long jvmAfter = QueryBench.jvmCpuNanos();
        assertThat(sink).isNotZero();
        // 300 ms of spinning: the busy (non-idle) ticks and this JVM's CPU time grew.
        assertThat((after[0] - after[1]) - (before[0] - before[1])).isGreaterThan(0);
        assertThat(jvmAfter - jvmBefore).isGreaterThan(100_000_000L);
    }
}
