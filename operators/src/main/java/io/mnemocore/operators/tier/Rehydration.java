package io.mnemocore.operators.tier;

import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ingest.DlqRecord;

/** The outcome of reading one memory back from the archive: a restore event or an error record. */
public class Rehydration {
    public MemoryEvent restore;
    public DlqRecord error;

    public Rehydration() {}

    static Rehydration of(MemoryEvent e) {
        Rehydration r = new Rehydration();
        r.restore = e;
        return r;
    }

    static Rehydration failed(DlqRecord d) {
        Rehydration r = new Rehydration();
        r.error = d;
        return r;
    }
}
