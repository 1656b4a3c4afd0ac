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

    /**
     * Records a use in event-time order: uses of one context come from every consolidator subtask,
     * so one can arrive after a later one; it is placed where it happened (ties keep arrival order).
     * A full window drops its oldest use.
     */
    void add(String id, long at) {
        if (size == 0 || at >= at(size - 1)) {
            ids[next] = id;
            atMs[next] = at;
            next = (next + 1) % ids.length;
            size = Math.min(size + 1, ids.length);
            return;
        }
        int pos = size;
        while (pos > 0 && at(pos - 1) > at) {
            pos--;
        }
        if (pos == 0 && size == ids.length) {
            return; // older than everything a full window holds
        }
        String[] newIds = new String[ids.length];
        long[] newAt = new long[ids.length];
        int m = 0;
        for (int i = (size == ids.length ? 1 : 0); i < size; i++) {
            if (i == pos) {
                newIds[m] = id;
                newAt[m++] = at;
            }
            newIds[m] = id(i);
            newAt[m++] = at(i);
        }
        ids = newIds;
        atMs = newAt;
        size = m;
        next = m % ids.length;
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
