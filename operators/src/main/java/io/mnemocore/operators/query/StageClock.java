package io.mnemocore.operators.query;

import java.time.Instant;

/**
 * The wall clock in microseconds, for the stage times a reply carries ({@link QueryReply#stagesUs}).
 * Milliseconds are too coarse for stages that take a fraction of one; the wall clock, not
 * {@code nanoTime}, because the stages may run in different TaskManagers.
 */
public final class StageClock {
    private StageClock() {}

    public static long nowUs() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }
}
