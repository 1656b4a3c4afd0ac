package io.mnemocore.operators.codec;

import io.mnemocore.hdv.Hdv;
import java.io.Serializable;

/** Bounds the decoder enforces; they come from the {@code haim.codec.*} config keys. */
public final class CodecLimits implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int dim;
    public final int maxEventBytes;
    public final int maxIdLength;
    public final int maxTextLength;
    public final int maxPayloadBytes;
    public final int maxK;
    public final int maxMemoryIds;

    public CodecLimits(int dim, int maxEventBytes, int maxIdLength, int maxTextLength,
                       int maxPayloadBytes, int maxK, int maxMemoryIds) {
        Hdv.checkDim(dim);
        this.dim = dim;
        this.maxEventBytes = maxEventBytes;
        this.maxIdLength = maxIdLength;
        this.maxTextLength = maxTextLength;
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxK = maxK;
        this.maxMemoryIds = maxMemoryIds;
    }

    /** The defaults of {@code conf/mnemocore.yaml} for a given dimensionality. */
    public static CodecLimits defaults(int dim) {
        return new CodecLimits(dim, 262_144, 256, 16_384, 65_536, 1_000, 10_000);
    }
}
