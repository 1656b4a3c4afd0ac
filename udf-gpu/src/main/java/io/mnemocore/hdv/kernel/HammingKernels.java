package io.mnemocore.hdv.kernel;

import java.util.List;
import java.util.function.Consumer;

/** Picks a kernel by name: reference, cpu, or cuda (an NVIDIA GPU through the driver API). */
public final class HammingKernels {
    public static final List<String> NAMES = List.of("reference", "cpu", "cuda");

    private HammingKernels() {}

    /** The named kernel; "cuda" fails with the reason when no GPU can be used. */
    public static HammingKernel create(String name, int threads) {
        return create(name, threads, 0, false, why -> { });
    }

    /**
     * The named kernel. For "cuda" without a usable GPU: with {@code fallbackToCpu}, the CPU kernel,
     * after telling {@code onFallback} why; without it, an UnsupportedOperationException saying why.
     */
    public static HammingKernel create(String name, int threads, int cudaDevice, boolean fallbackToCpu,
                                       Consumer<String> onFallback) {
        switch (name) {
            case "reference":
                return new ReferenceKernel();
            case "cpu":
                return new FastCpuKernel(threads);
            case "cuda":
                String why = CudaKernel.unavailableReason();
                if (why == null) {
                    try {
                        return CudaKernel.open(cudaDevice);
                    } catch (RuntimeException e) {
                        why = "CUDA device " + cudaDevice + " could not be opened: " + e;
                    }
                }
                if (!fallbackToCpu) {
                    throw new UnsupportedOperationException(why);
                }
                onFallback.accept(why);
                return new FastCpuKernel(threads);
            default:
                throw new IllegalArgumentException(
                        "unknown Hamming kernel '" + name + "'; known: " + NAMES);
        }
    }
}
