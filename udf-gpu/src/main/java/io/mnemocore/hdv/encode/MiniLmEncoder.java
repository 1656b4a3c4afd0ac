package io.mnemocore.hdv.encode;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.mnemocore.hdv.Hdv;
import java.util.ArrayList;
import java.util.List;

/**
 * Semantic encoder: all-MiniLM-L6-v2 (the ONNX model shipped in its Maven artifact, run on ONNX
 * Runtime in-process), then a seeded SimHash projection from 384 dimensions to D bits. Nothing
 * is downloaded at run time.
 */
public final class MiniLmEncoder implements TextEncoder {
    public static final String FULL = "all-minilm-l6-v2";
    public static final String QUANTIZED = "all-minilm-l6-v2-q";
    private static final int EMBEDDING_DIM = 384;

    private final EmbeddingModel model;
    private final SimHashProjection projection;
    private final int dim;

    public MiniLmEncoder(int dim, long seed, String variant) {
        this.dim = dim;
        if (FULL.equals(variant)) {
            this.model = new AllMiniLmL6V2EmbeddingModel();
        } else if (QUANTIZED.equals(variant)) {
            this.model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        } else {
            throw new IllegalArgumentException(
                    "unknown MiniLM variant '" + variant + "'; known: " + FULL + ", " + QUANTIZED);
        }
        this.projection = new SimHashProjection(EMBEDDING_DIM, dim, seed);
    }

    @Override
    public String name() {
        return "minilm";
    }

    @Override
    public int dim() {
        return dim;
    }

    /** The raw sentence embedding (unit length), exposed for calibration tests. */
    public float[] embed(String text) {
        return model.embed(text).content().vector();
    }

    @Override
    public Hdv encode(String text) {
        return projection.project(embed(text));
    }

    @Override
    public List<Hdv> encodeBatch(List<String> texts) {
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (String t : texts) {
            segments.add(TextSegment.from(t));
        }
        List<float[]> vectors = new ArrayList<>(texts.size());
        for (Embedding e : model.embedAll(segments).content()) {
            vectors.add(e.vector());
        }
        return projection.projectBatch(vectors);
    }
}
