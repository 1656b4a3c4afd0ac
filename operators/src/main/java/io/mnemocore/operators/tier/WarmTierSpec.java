package io.mnemocore.operators.tier;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/** How to reach the WARM store, shipped to the operators that open it (sink, WARM search). */
public final class WarmTierSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int dim;
    /** Embedded store directory; used when {@link #qdrantUrl} is empty. */
    public final String embeddedPath;
    public final String qdrantUrl;
    public final String apiKey;
    public final String collection;
    public final int hnswM;
    public final int hnswEfConstruct;
    public final boolean binaryQuantization;
    public final boolean alwaysRam;
    public final long timeoutMs;
    public final int retries;
    public final int breakerFailures;
    public final long breakerResetMs;

    public WarmTierSpec(int dim, String embeddedPath, String qdrantUrl, String apiKey, String collection, int hnswM,
                        int hnswEfConstruct, boolean binaryQuantization, boolean alwaysRam, long timeoutMs, int retries,
                        int breakerFailures, long breakerResetMs) {
        this.dim = dim;
        this.embeddedPath = embeddedPath;
        this.qdrantUrl = qdrantUrl == null ? "" : qdrantUrl;
        this.apiKey = apiKey == null ? "" : apiKey;
        this.collection = collection;
        this.hnswM = hnswM;
        this.hnswEfConstruct = hnswEfConstruct;
        this.binaryQuantization = binaryQuantization;
        this.alwaysRam = alwaysRam;
        this.timeoutMs = timeoutMs;
        this.retries = retries;
        this.breakerFailures = breakerFailures;
        this.breakerResetMs = breakerResetMs;
    }

    /**
     * The same store for the query path: one attempt per call with {@code timeoutMs} as its
     * deadline, and no breaker of its own (the query path keeps one for every kind of store).
     */
    public WarmTierSpec forQueries(long timeoutMs) {
        return new WarmTierSpec(dim, embeddedPath, qdrantUrl, apiKey, collection, hnswM, hnswEfConstruct, binaryQuantization,
                alwaysRam, timeoutMs, 0, Integer.MAX_VALUE, breakerResetMs);
    }

    public boolean isQdrant() {
        return !qdrantUrl.isEmpty();
    }

    public WarmTier open() throws IOException {
        return isQdrant() ? new QdrantWarmTier(this) : EmbeddedWarmStore.open(Path.of(embeddedPath), dim);
    }

    @Override
    public String toString() {
        return isQdrant() ? "Qdrant " + qdrantUrl + " collection " + collection : "embedded WARM store " + embeddedPath;
    }
}
