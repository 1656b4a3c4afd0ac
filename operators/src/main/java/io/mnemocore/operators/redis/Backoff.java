package io.mnemocore.operators.redis;

/** Exponential backoff with a cap, reset on success. */
public final class Backoff {
    private final long initialMs;
    private final long maxMs;
    private long nextMs;

    public Backoff(long initialMs, long maxMs) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.nextMs = initialMs;
    }

    public long nextDelayMs() {
        long d = nextMs;
        nextMs = Math.min(maxMs, nextMs * 2);
        return d;
    }

    public void reset() {
        nextMs = initialMs;
    }
}
