package io.mnemocore.operators.ltp;

/**
 * A typed tier event from the consolidator. Tier sinks use the vector and payload (present for
 * CREATED, UPDATED, HOT_TO_WARM, WARM_TO_HOT and WARM_TO_COLD); the transition log records the rest.
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
    /** Why: write, decay, idle, access, eviction, trigger, delete. */
    public String reason;
    public long[] hdv;
    public byte[] payload;
    public String archive;

    public Transition() {}

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
