package io.mnemocore.operators.ltp;

/**
 * The consolidator's keyed state for one memory (the key is tenant/memory_id, so neither is
 * stored here). A COLD memory keeps no vector and no payload: those live in its archive.
 */
public class MemoryState {
    public String contextId;
    public Tier tier;
    /** Strength at {@link #updatedMs}. */
    public double strength;
    public long updatedMs;
    public double halfLifeMs;
    public int accessCount;
    public long createdMs;
    public long lastAccessMs;
    /** Packed HDV while HOT or WARM; null when COLD. */
    public long[] hdv;
    /** Opaque msgpack payload while HOT or WARM; null when COLD or absent. */
    public byte[] payload;
    /** Archive location once COLD (set by the COLD tier). */
    public String archive;
    /** The one pending event-time timer, or Long.MAX_VALUE. */
    public long timerMs = Long.MAX_VALUE;
    /** How many memory.write events this key has seen (the ingest bench checks it is 1). */
    public int writes;

    public MemoryState() {}
}
