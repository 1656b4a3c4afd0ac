package io.mnemocore.hdv.encode;

import java.io.Serializable;

/** A serializable recipe for a {@link TextEncoder}, so Flink operators can build theirs in open(). */
public final class EncoderSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String type;
    public final int dim;
    public final long seed;
    public final int ngramSize;
    public final String minilmVariant;

    public EncoderSpec(String type, int dim, long seed, int ngramSize, String minilmVariant) {
        this.type = type;
        this.dim = dim;
        this.seed = seed;
        this.ngramSize = ngramSize;
        this.minilmVariant = minilmVariant;
    }

    public TextEncoder create() {
        return TextEncoders.create(type, dim, seed, ngramSize, minilmVariant);
    }
}
