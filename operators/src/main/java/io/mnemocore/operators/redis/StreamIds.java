package io.mnemocore.operators.redis;

/** Redis stream entry ids ({@code <ms>-<seq>}): parsing and ordering. */
public final class StreamIds {
    public static final String ZERO = "0-0";

    private StreamIds() {}

    // Parsed in place, without substrings: these run for every entry read (ingest's hot path).
    public static long millis(String id) {
        int dash = id.indexOf('-');
        return Long.parseUnsignedLong(id, 0, dash < 0 ? id.length() : dash, 10);
    }

    public static long seq(String id) {
        int dash = id.indexOf('-');
        return dash < 0 ? 0 : Long.parseUnsignedLong(id, dash + 1, id.length(), 10);
    }

    /** The id {@code <millis>-<seq>}, both unsigned. */
    public static String format(long millis, long seq) {
        return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(seq);
    }

    public static int compare(String a, String b) {
        int c = Long.compareUnsigned(millis(a), millis(b));
        return c != 0 ? c : Long.compareUnsigned(seq(a), seq(b));
    }
}
