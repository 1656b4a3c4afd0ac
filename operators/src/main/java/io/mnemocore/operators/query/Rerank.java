package io.mnemocore.operators.query;

import io.mnemocore.operators.ltp.LtpModel;
import java.io.Serializable;

/**
 * The rerank score of a hit at query time {@code now}:
 * <pre>
 *   score = w_sim · (1 − d / D) + w_ltp · S(now) + w_recency · 2^(−(now − last_access) / h_recency)
 * </pre>
 * with d the Hamming distance, D the dimensionality, S(now) the memory's LTP strength decayed to
 * the query's time by the LTP model, and h_recency the recency half-life. Every term lies in [0, 1].
 */
public final class Rerank implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int dim;
    private final LtpModel ltp;
    private final double wSim;
    private final double wLtp;
    private final double wRecency;
    private final double recencyHalfLifeMs;

    public Rerank(int dim, LtpModel ltp, double wSim, double wLtp, double wRecency, double recencyHalfLifeHours) {
        this.dim = dim;
        this.ltp = ltp;
        this.wSim = wSim;
        this.wLtp = wLtp;
        this.wRecency = wRecency;
        this.recencyHalfLifeMs = recencyHalfLifeHours * 3_600_000.0;
    }

    public double score(Hit h, long now) {
        double sim = 1.0 - (double) h.distance / dim;
        double s = h.updatedMs > 0 ? ltp.strengthAt(h.strength, h.updatedMs, h.halfLifeMs, Math.max(now, h.updatedMs)) : h.strength;
        double age = Math.max(0, now - h.lastAccessMs);
        double recency = Math.pow(2, -age / recencyHalfLifeMs);
        return wSim * sim + wLtp * s + wRecency * recency;
    }
}
