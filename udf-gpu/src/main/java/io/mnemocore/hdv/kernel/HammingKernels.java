package io.mnemocore.hdv.kernel;

import java.util.List;

/**
 * Picks a kernel by name. This is the seam where the CUDA kernel plugs in: {@code "cuda"} is
 * recognised but not built yet, and says so rather than silently running something else.
 */
public final class HammingKernels {
    public static final List<String> NAMES = List.of("reference", "cpu", "cuda");

    private HammingKernels() {}

    public static HammingKernel create(String name, int threads) {
        switch (name) {
            case "reference":
                return new ReferenceKernel();
            case "cpu":
                return new FastCpuKernel(threads);
            case "cuda":
                throw new UnsupportedOperationException(
                        "the CUDA kernel is not implemented yet; use 'cpu' (see issue: GPU Hamming UDF)");
            default:
                throw new IllegalArgumentException(
                        "unknown Hamming kernel '" + name + "'; known: " + NAMES);
        }
    }
}
