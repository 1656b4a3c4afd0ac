package io.mnemocore.operators.query;

/** What the HOT index keeps per HOT memory in keyed state (the in-memory index is rebuilt from it). */
public class HotMemory {
    public long[] hdv;
    public byte[] payload;
    public String contextId;
    public double strength;
    public long updatedMs;
    public double halfLifeMs;
    public long lastAccessMs;

    public HotMemory() {}
}
