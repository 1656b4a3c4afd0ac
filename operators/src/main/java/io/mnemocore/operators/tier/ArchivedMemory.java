package io.mnemocore.operators.tier;

/** One memory as read back (and verified) from the COLD archive, with its location there. */
public final class ArchivedMemory extends WarmPoint {
    /** "date/batch/row". */
    public final String location;

    public ArchivedMemory(String tenant, String memoryId, String contextId, long[] hdv, byte[] payload, double strength,
                          long updatedMs, double halfLifeMs, long lastAccessMs, int accessCount, String location) {
        super(tenant, memoryId, contextId, hdv, payload, strength, updatedMs, halfLifeMs, lastAccessMs, accessCount);
        this.location = location;
    }
}
