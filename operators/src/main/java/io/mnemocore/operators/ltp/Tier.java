package io.mnemocore.operators.ltp;

/** Where a memory lives: HOT (in the job's index), WARM (Qdrant or the embedded store), COLD (archive). */
public enum Tier {
    HOT,
    WARM,
    COLD
}
