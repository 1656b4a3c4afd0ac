package io.mnemocore.operators.tier;

import java.io.IOException;

/** An archive that cannot be trusted: gone, or not what its sidecar says. Never retried. */
public final class ArchiveException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Stable reason codes (DLQ reason and metric label). */
    public static final String MISSING = "archive_missing";
    public static final String CORRUPT = "archive_corrupt";

    public final String reason;

    public ArchiveException(String reason, String message) {
        super(message);
        this.reason = reason;
    }
}
