package io.mnemocore.operators.tier;

/** A WARM search result: the point and its exact Hamming distance to the query. */
public final class WarmHit {
    public final WarmPoint point;
    public final int distance;

    public WarmHit(WarmPoint point, int distance) {
        this.point = point;
        this.distance = distance;
    }
}
