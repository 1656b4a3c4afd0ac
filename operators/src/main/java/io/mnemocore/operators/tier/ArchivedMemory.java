package io.mnemocore.operators.tier;

/** One memory as read back (and verified) from the COLD archive. */
public final class ArchivedMemory {
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
    /** "date/batch/row". */
    public final String location;

    public ArchivedMemory(String tenant, String memoryId, String contextId, long[] hdv, byte[] payload, double strength,
                          long updatedMs, double halfLifeMs, long lastAccessMs, int accessCount, String location) {
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
        this.location = location;
    }
}
