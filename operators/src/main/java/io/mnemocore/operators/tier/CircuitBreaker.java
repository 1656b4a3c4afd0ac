package io.mnemocore.operators.tier;

/**
 * The blueprint's breaker: after {@code threshold} consecutive failures it opens and calls fail
 * at once, without touching the dependency, until {@code resetMs} have passed; then one call is
 * let through (half-open) and its outcome closes or re-opens it.
 */
public final class CircuitBreaker {
    private final int threshold;
    private final long resetMs;
    private int failures;
    private long openUntil;

    public CircuitBreaker(int threshold, long resetMs) {
        this.threshold = threshold;
        this.resetMs = resetMs;
    }

    /** Whether a call may go ahead now. */
    public synchronized boolean allow(long nowMs) {
        return failures < threshold || nowMs >= openUntil;
    }

    public synchronized void success() {
        failures = 0;
    }

    public synchronized void failure(long nowMs) {
        failures++;
        if (failures >= threshold) {
            openUntil = nowMs + resetMs;
        }
    }
}
