package io.mnemocore.hdv.encode;

import java.util.List;

/** Builds the encoder named in config ({@code haim.encoder.type}). */
public final class TextEncoders {
    public static final List<String> NAMES = List.of("ngram", "minilm");

    private TextEncoders() {}

    public static TextEncoder create(String name, int dim, long seed, int ngramSize, String minilmVariant) {
        switch (name) {
            case "ngram":
                return new NgramEncoder(dim, ngramSize, seed);
            case "minilm":
                return new MiniLmEncoder(dim, seed, minilmVariant);
            default:
                throw new IllegalArgumentException("unknown encoder '" + name + "'; known: " + NAMES);
        }
    }
}
