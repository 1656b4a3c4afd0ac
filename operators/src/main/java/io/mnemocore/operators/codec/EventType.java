package io.mnemocore.operators.codec;

/** The event types of the Subconscious Bus, with their wire names (the {@code type} field). */
public enum EventType {
    MEMORY_WRITE("memory.write"),
    MEMORY_ACCESS("memory.access"),
    MEMORY_DELETE("memory.delete"),
    CONSOLIDATION_TRIGGER("consolidation.trigger"),
    INFERENCE_PREDICT("inference.predict"),
    QUERY("query"),
    /**
     * Internal: an archived memory read back from COLD (by the job's rehydrator after an access, or by
     * {@code ./mnemocore rehydrate}), carrying its vector, payload, LTP facts and archive location.
     */
    MEMORY_RESTORE("memory.restore");

    private final String wire;

    EventType(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static EventType fromWire(String s) {
        for (EventType t : values()) {
            if (t.wire.equals(s)) {
                return t;
            }
        }
        return null;
    }
}
