package io.mnemocore.jobs.config;

/** A configuration problem; the message always names the key and where the value came from. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
