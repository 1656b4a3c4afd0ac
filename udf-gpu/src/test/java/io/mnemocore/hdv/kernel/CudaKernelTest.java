package io.mnemocore.hdv.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CUDA kernel against the reference kernel: random rows, near-duplicates, ties, N not a
 * multiple of the block sizes, batches, incremental updates, majority bundling. Skipped (with the
 * reason) where no GPU can be used; the fallback is tested for real wherever that is the case.
 */
class CudaKernelTest {
    static void needGpu() {
        String why = CudaKernel.unavailableReason();
        assumeTrue(why == null, "no usable GPU, CUDA tests skipped: " + why);
    }

    @Test
    void withoutAGpuTheJobFallsBackToTheCpuKernelAndSaysWhy() {
        String why = CudaKernel.unavailableReason();
        assumeTrue(why != null, "a GPU is present: the fallback is not taken here");
        List<String> told = new ArrayList<>();
        try (HammingKernel k = HammingKernels.create("cuda", 1, 0, true, told::add)) {
            assertThat(k).isInstanceOf(FastCpuKernel.class);
            assertThat(k.name()).isEqualTo("cpu");
        }
        assertThat(told).containsExactly(why);
        assertThatThrownBy(() -> HammingKernels.create("cuda", 1, 0, false, x -> { }))
                .isInstanceOf(UnsupportedOperationException.class).hasMessage(why);
    }

    @Test
    void checkedInPtxHasTheKernelsAndADriverPortableHeader() {
        String ptx = new String(CudaKernel.ptx(), StandardCharsets.US_ASCII);
        assertThat(ptx).contains(".version 7.5", ".target sm_75");
        for (String f : List.of("hamming_keys", "hamming_keys_batch", "topk_reduce", "bundle_majority", "sketch_histogram", "rows_within")) {
            assertThat(ptx).contains(".entry " + f + "(");
        }
    }

    /** GpuCheck: random, near-duplicates, ties, odd N, batches, incremental updates, bundling. */
    @Test
    void sameResultsAsTheReferenceKernel() {
        needGpu();
        assertThat(io.mnemocore.hdv.bench.GpuCheck.run(0)).isEmpty();
    }

    /** The build compiles fresh PTX when nvcc is present; the checked-in copy must not have drifted. */
    @Test
    void checkedInPtxMatchesTheSource() throws Exception {
        java.nio.file.Path src = java.nio.file.Path.of("src/main/resources/io/mnemocore/hdv/kernel/hamming.ptx");
        String built = new String(CudaKernel.ptx(), StandardCharsets.US_ASCII).replace("\0", "");
        String checkedIn = java.nio.file.Files.readString(src, StandardCharsets.US_ASCII);
        assertThat(code(built)).as("regenerate: udf-gpu/src/main/cuda/build-ptx.sh " + src).isEqualTo(code(checkedIn));
    }

    private static String code(String ptx) {
        StringBuilder b = new StringBuilder();
        for (String line : ptx.split("\n")) {
            if (!line.startsWith("//")) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }
}
