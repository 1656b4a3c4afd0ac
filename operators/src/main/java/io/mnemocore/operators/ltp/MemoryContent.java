package io.mnemocore.operators.ltp;

/**
 * A HOT or WARM memory's content, kept in its own keyed state apart from {@link MemoryState}'s LTP
 * facts: an access rewrites the facts (tens of bytes), not the 2 KB vector. COLD memories have
 * none (the archive holds it).
 */
public class MemoryContent {
    public long[] hdv;
    public byte[] payload;

    public MemoryContent() {}

    MemoryContent(long[] hdv, byte[] payload) {
        this.hdv = hdv;
        this.payload = payload;
    }
}
