package io.mnemocore.operators.query;

import io.mnemocore.operators.ltp.Transition;

/** A HOT memory's LTP facts, kept apart from its content so an access writes only these. */
public class HotFacts {
    public double strength;
    public long updatedMs;
    public double halfLifeMs;
    public long lastAccessMs;

    public HotFacts() {}

    /**
     * The later of two facts of one memory (null: none); at the same {@code updatedMs} the second.
     * The consolidator never moves back the {@code updatedMs} of a memory that stays HOT, so when
     * adds, removals and touches come over different edges, this keeps facts that were overtaken from replacing newer ones.
     */
    static HotFacts newest(HotFacts a, HotFacts b) {
        return a != null && a.updatedMs > b.updatedMs ? a : b;
    }

    static HotFacts of(Transition t) {
        HotFacts f = new HotFacts();
        f.strength = t.strength;
        f.updatedMs = t.atMs;
        f.halfLifeMs = t.halfLifeMs;
        f.lastAccessMs = t.lastAccessMs;
        return f;
    }
}
