package io.mnemocore.operators.tier;

import io.mnemocore.operators.ltp.Transition;

/** One memory as a tier store keeps it: ids, vector, payload and LTP facts (WARM points; archive rows extend it). */
public class WarmPoint {
    public final String tenant;
    public final String memoryId;
    public final String contextId;
    public final long[] hdv;
    public final byte[] payload;
    public final double strength;
    public final long updatedMs;
    public final double halfLifeMs;
    public final long lastAccessMs;
    public final int accessCount;

    public WarmPoint(String tenant, String memoryId, String contextId, long[] hdv, byte[] payload, double strength,
                     long updatedMs, double halfLifeMs, long lastAccessMs, int accessCount) {
        this.tenant = tenant;
        this.memoryId = memoryId;
        this.contextId = contextId;
        this.hdv = hdv;
        this.payload = payload;
        this.strength = strength;
        this.updatedMs = updatedMs;
        this.halfLifeMs = halfLifeMs;
        this.lastAccessMs = lastAccessMs;
        this.accessCount = accessCount;
    }

    static WarmPoint of(Transition t) {
        return new WarmPoint(t.tenant, t.memoryId, t.contextId, t.hdv, t.payload, t.strength, t.atMs, t.halfLifeMs,
                t.lastAccessMs, t.accessCount);
    }
}
