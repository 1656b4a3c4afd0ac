package io.mnemocore.operators.redis;

/** Redis stream entry ids ({@code <ms>-<seq>}): parsing and ordering. */
public final class StreamIds {
    public static final String ZERO = "0-0";

    private StreamIds() {}

    public static long millis(String id) {
        int dash = id.indexOf('-');
        return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
    }

    public static long seq(String id) {
        int dash = id.indexOf('-');
        return dash < 0 ? 0 : Long.parseLong(id.substring(dash + 1));
    }

    public static int compare(String a, String b) {
        int c = Long.compareUnsigned(millis(a), millis(b));
        return c != 0 ? c : Long.compareUnsigned(seq(a), seq(b));
    }
}
