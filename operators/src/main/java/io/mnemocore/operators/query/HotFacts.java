package io.mnemocore.operators.query;

import io.mnemocore.operators.ltp.Transition;

/** A HOT memory's LTP facts, kept apart from its content so an access writes only these. */
public class HotFacts {
    public double strength;
    public long updatedMs;
    public double halfLifeMs;
    public long lastAccessMs;

    public HotFacts() {}

    static HotFacts of(Transition t) {
        HotFacts f = new HotFacts();
        f.strength = t.strength;
        f.updatedMs = t.atMs;
        f.halfLifeMs = t.halfLifeMs;
        f.lastAccessMs = t.lastAccessMs;
        return f;
    }
}
