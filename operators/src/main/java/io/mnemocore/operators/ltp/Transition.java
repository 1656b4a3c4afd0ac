package io.mnemocore.operators.ltp;

/**
 * A typed tier event from the consolidator. The vector and payload are set only on the copies
 * sent to the tier stores (see {@code LtpConsolidator.HOT_UPDATES} and {@code TierRouter}).
 */
public class Transition {
    public TransitionKind kind;
    public String tenant;
    public String memoryId;
    public String contextId;
    /** Tier before (null for CREATED) and after (null for DELETED). */
    public Tier fromTier;
    public Tier toTier;
    public double strength;
    /** Event time of the transition (epoch ms). */
    public long atMs;
    public int accessCount;
    /** LTP facts at {@code atMs}, so readers can decay the strength to their own now. */
    public double halfLifeMs;
    public long lastAccessMs;
    /** Why: write, decay, idle, access, eviction, trigger, delete. */
    public String reason;
    public long[] hdv;
    public byte[] payload;
    public String archive;

    public Transition() {}

    /** A copy of the facts, without vector and payload. */
    public Transition copy() {
        Transition t = new Transition();
        t.kind = kind;
        t.tenant = tenant;
        t.memoryId = memoryId;
        t.contextId = contextId;
        t.fromTier = fromTier;
        t.toTier = toTier;
        t.strength = strength;
        t.atMs = atMs;
        t.accessCount = accessCount;
        t.halfLifeMs = halfLifeMs;
        t.lastAccessMs = lastAccessMs;
        t.reason = reason;
        t.archive = archive;
        return t;
    }

    /** Deterministic id of this transition, so readers of an at-least-once log can drop repeats. */
    public String id() {
        return tenant + "/" + memoryId + "/" + kind + "/" + atMs;
    }

    @Override
    public String toString() {
        return kind + " " + tenant + "/" + memoryId + " " + fromTier + "->" + toTier + " S=" + String.format("%.3f", strength)
                + " at " + atMs + " (" + reason + ")";
    }
}
