package io.mnemocore.operators.query;

/** One change to a subtask's HOT set, from {@link HotStore} to the {@link HotIndex} subtask it feeds. */
public class HotChange {
    public enum Op {
        /** The memory is HOT with this content and these facts (added, re-added or rebuilt). */
        UPSERT,
        /** The memory left HOT. */
        REMOVE,
        /** A HOT memory was accessed: its LTP facts changed. */
        TOUCH,
        /** The store starts sending every HOT memory it holds (at each start of its task). */
        BEGIN,
        /** The store has sent every HOT memory it held at its start: the index may answer queries. */
        READY
    }

    public Op op;
    public String tenant;
    public String memoryId;
    public HotMemory memory;
    public HotFacts facts;
    /**
     * BEGIN and READY: the store subtask that sent it, of how many, and the key that routes it to
     * the index subtask of that number ({@link IndexRoute}); null for a memory's change.
     */
    public int store;
    public int stores;
    public String route;

    public HotChange() {}

    static HotChange marker(Op op, int store, int stores, int maxParallelism) {
        HotChange c = of(op, null, null, null, null);
        c.store = store;
        c.stores = stores;
        c.route = IndexRoute.subtaskKey(store, maxParallelism, stores);
        return c;
    }

    static HotChange of(Op op, String tenant, String memoryId, HotMemory memory, HotFacts facts) {
        HotChange c = new HotChange();
        c.op = op;
        c.tenant = tenant;
        c.memoryId = memoryId;
        c.memory = memory;
        c.facts = facts;
        return c;
    }
}
