package io.mnemocore.operators.query;

/** A HOT memory's content in the index's keyed state (the in-memory matrices are rebuilt from it). */
public class HotMemory {
    public long[] hdv;
    public byte[] payload;
    public String contextId;

    public HotMemory() {}
}
