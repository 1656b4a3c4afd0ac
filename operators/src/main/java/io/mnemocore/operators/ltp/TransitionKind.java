package io.mnemocore.operators.ltp;

/** What happened to a memory. Stable names: they appear in the transition log. */
public enum TransitionKind {
    CREATED(null),
    UPDATED(null),
    HOT_TO_WARM(Tier.WARM),
    WARM_TO_HOT(Tier.HOT),
    WARM_TO_COLD(Tier.COLD),
    /** A COLD memory was used: its vector must be rehydrated from the archive. */
    COLD_REACTIVATION(null),
    /** An archived memory came back from its archive (after an access, or a batch rehydration). */
    COLD_TO_WARM(Tier.WARM),
    COLD_TO_HOT(Tier.HOT),
    /** An access kept a HOT memory HOT (feeds the LRU of the HOT capacity). */
    HOT_TOUCH(Tier.HOT),
    DELETED(null),
    /**
     * Not a transition of the log: the WARM writer's word to the HOT store that the store now
     * holds a memory that left HOT (at the {@code atMs} of that departure).
     */
    WARM_STORED(Tier.WARM);

    private final Tier target;

    TransitionKind(Tier target) {
        this.target = target;
    }

    /** The tier a memory is in afterwards when fixed by the kind, else null (see Transition.toTier). */
    public Tier target() {
        return target;
    }
}
