package io.mnemocore.operators.query;

/**
 * The state of one (tenant, context): its last uses, oldest first, with their event times (at
 * most {@code ids.length}). The context and transition holograms are derived from it when needed,
 * so state stays a few bytes per use.
 */
public class ContextTrace {
    public String[] ids;
    public long[] atMs;
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
        int pos = size;
        while (pos > 0 && atMs[pos - 1] > at) {
            pos--;
        }
        if (size == ids.length) {
            if (pos == 0) {
                return; // older than everything a full window holds
            }
            System.arraycopy(ids, 1, ids, 0, pos - 1);
            System.arraycopy(atMs, 1, atMs, 0, pos - 1);
            pos--;
        } else {
            System.arraycopy(ids, pos, ids, pos + 1, size - pos);
            System.arraycopy(atMs, pos, atMs, pos + 1, size - pos);
            size++;
        }
        ids[pos] = id;
        atMs[pos] = at;
    }

    /** A copy whose arrays are its own. */
    ContextTrace copy() {
        ContextTrace c = new ContextTrace();
        c.ids = ids.clone();
        c.atMs = atMs.clone();
        c.size = size;
        return c;
    }

    /** The i-th use, oldest first. */
    String id(int i) {
        return ids[i];
    }

    long at(int i) {
        return atMs[i];
    }

    /** Drops every use of {@code id} (a deleted memory), keeping the order of the rest. */
    boolean remove(String id) {
        int m = 0;
        for (int i = 0; i < size; i++) {
            if (!id.equals(ids[i])) {
                ids[m] = ids[i];
                atMs[m++] = atMs[i];
            }
        }
        boolean removed = m < size;
        for (int i = m; i < size; i++) {
            ids[i] = null;
        }
        size = m;
        return removed;
    }
}
