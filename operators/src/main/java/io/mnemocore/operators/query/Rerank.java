package io.mnemocore.operators.query;

import io.mnemocore.operators.ltp.LtpModel;
import java.io.Serializable;

/**
 * The rerank score of a hit at query time {@code now}:
 * <pre>
 *   score = w_sim · (1 − d / D) + w_ltp · S(now) + w_recency · 2^(−(now − last_access) / h_recency)
 *         + w_context · max(0, 1 − 2 · d(item(hit), H) / D)
 * </pre>
 * with d the Hamming distance, D the dimensionality, S(now) the memory's LTP strength decayed to
 * the query's time by the LTP model, h_recency the recency half-life, and H the query's context
 * hologram: the bundle of the item vectors of the memories recently used in the query's context
 * ({@link ActiveInference}). The context term is about 1/√(π·n/2) for a memory among the n bundled,
 * and 0 ± 1/√D for any other; it is 0 for a query without a context. Every term lies in [0, 1].
 */
public final class Rerank implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int dim;
    private final LtpModel ltp;
    private final double wSim;
    private final double wLtp;
    private final double wRecency;
    private final double wContext;
    private final double recencyHalfLifeMs;

    public Rerank(int dim, LtpModel ltp, double wSim, double wLtp, double wRecency, double recencyHalfLifeHours) {
        this(dim, ltp, wSim, wLtp, wRecency, recencyHalfLifeHours, 0);
    }

    public Rerank(int dim, LtpModel ltp, double wSim, double wLtp, double wRecency, double recencyHalfLifeHours, double wContext) {
        this.dim = dim;
        this.ltp = ltp;
        this.wSim = wSim;
        this.wLtp = wLtp;
        this.wRecency = wRecency;
        this.wContext = wContext;
        this.recencyHalfLifeMs = recencyHalfLifeHours * 3_600_000.0;
    }

    public double score(Hit h, long now) {
        return score(h, now, null, null);
    }

    /** @param hologram the query's context hologram, or null */
    public double score(Hit h, long now, String tenant, long[] hologram) {
        double sim = 1.0 - (double) h.distance / dim;
        double s = strengthNow(h, now);
        double age = Math.max(0, now - h.lastAccessMs);
        double recency = Math.pow(2, -age / recencyHalfLifeMs);
        return wSim * sim + wLtp * s + wRecency * recency + wContext * contextSimilarity(tenant, h.memoryId, hologram);
    }

    /** The hit's LTP strength decayed to {@code now}. */
    public double strengthNow(Hit h, long now) {
        return h.updatedMs > 0 ? ltp.strengthAt(h.strength, h.updatedMs, h.halfLifeMs, Math.max(now, h.updatedMs)) : h.strength;
    }

    /** max(0, 1 − 2·d/D) between a memory's item vector and a hologram; 0 without one. */
    public double contextSimilarity(String tenant, String memoryId, long[] hologram) {
        if (hologram == null || wContext == 0) {
            return 0;
        }
        int d = ActiveInference.itemDistance(tenant, memoryId, hologram, dim);
        return Math.max(0, 1.0 - 2.0 * d / dim);
    }
}
