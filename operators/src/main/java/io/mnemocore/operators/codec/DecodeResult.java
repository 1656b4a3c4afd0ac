package io.mnemocore.operators.codec;

/** Either a decoded event or the reason it was rejected; never both. */
public final class DecodeResult {
    private final MemoryEvent event;
    private final DecodeError error;

    private DecodeResult(MemoryEvent event, DecodeError error) {
        this.event = event;
        this.error = error;
    }

    public static DecodeResult ok(MemoryEvent e) {
        return new DecodeResult(e, null);
    }

    public static DecodeResult error(DecodeError.Reason reason, String detail) {
        return new DecodeResult(null, new DecodeError(reason, detail));
    }

    public boolean isOk() {
        return event != null;
    }

    public MemoryEvent event() {
        return event;
    }

    public DecodeError error() {
        return error;
    }

    @Override
    public String toString() {
        return isOk() ? "ok(" + event + ")" : "error(" + error + ")";
    }
}
