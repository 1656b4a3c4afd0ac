package io.mnemocore.operators.query;

/**
 * The state of one (tenant, context): the last {@code ids.length} memories used in it, oldest
 * first from {@code next} on (a ring), with their access times. The context hologram and the
 * transition hologram are derived from it when needed, so state stays a few bytes per access.
 */
public class ContextTrace {
    public String[] ids;
    public long[] atMs;
    /** Where the next access goes; with {@code size < ids.length} also the count. */
    public int next;
    public int size;

    public ContextTrace() {}

    public ContextTrace(int window) {
        ids = new String[window];
        atMs = new long[window];
    }

    void add(String id, long at) {
        ids[next] = id;
        atMs[next] = at;
        next = (next + 1) % ids.length;
        size = Math.min(size + 1, ids.length);
    }

    /** The i-th access, oldest first. */
    String id(int i) {
        return ids[(next - size + i + ids.length) % ids.length];
    }

    long at(int i) {
        return atMs[(next - size + i + ids.length) % ids.length];
    }

    /** Drops every access to {@code id} (a deleted memory), keeping the order of the rest. */
    boolean remove(String id) {
        int n = size;
        String[] keptIds = new String[ids.length];
        long[] keptAt = new long[ids.length];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (!id.equals(id(i))) {
                keptIds[m] = id(i);
                keptAt[m++] = at(i);
            }
        }
        if (m == n) {
            return false;
        }
        ids = keptIds;
        atMs = keptAt;
        size = m;
        next = m % ids.length;
        return true;
    }
}
