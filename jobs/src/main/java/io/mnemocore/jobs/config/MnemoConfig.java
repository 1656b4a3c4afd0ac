package io.mnemocore.jobs.config;

import io.mnemocore.operators.codec.CodecLimits;
import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The effective, validated configuration: typed values plus where each one came from. */
public final class MnemoConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LinkedHashMap<String, Object> values;
    private final LinkedHashMap<String, String> sources;

    MnemoConfig(LinkedHashMap<String, Object> values, LinkedHashMap<String, String> sources) {
        this.values = values;
        this.sources = sources;
    }

    private Object get(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw new ConfigException("unknown config key '" + key + "'");
        }
        return v;
    }

    public int getInt(String key) {
        return ((Number) get(key)).intValue();
    }

    public long getLong(String key) {
        return ((Number) get(key)).longValue();
    }

    public double getDouble(String key) {
        return ((Number) get(key)).doubleValue();
    }

    public boolean getBool(String key) {
        return (Boolean) get(key);
    }

    public String getString(String key) {
        return get(key).toString();
    }

    /** haim.search.confidence_threshold_bits, with 0 meaning the blueprint's 500 bits at D=16384 scaled to D. */
    public int confidenceThresholdBits() {
        int v = getInt("haim.search.confidence_threshold_bits");
        return v > 0 ? v : (int) Math.round(500.0 * dimensionality() / 16384);
    }

    public int dimensionality() {
        return getInt("haim.dimensionality");
    }

    public CodecLimits codecLimits() {
        return new CodecLimits(dimensionality(),
                getInt("haim.codec.max_event_bytes"),
                getInt("haim.codec.max_id_length"),
                getInt("haim.codec.max_text_length"),
                getInt("haim.codec.max_payload_bytes"),
                getInt("haim.codec.max_k"),
                getInt("haim.codec.max_memory_ids"))
                .withReservedStreams(reservedStreams());
    }

    /** The keys naming the streams the job reads or writes; each has one use (ConfigLoader checks). */
    public static final java.util.List<String> STREAM_KEYS = java.util.List.of("haim.redis.stream_key", "haim.redis.query_stream",
            "haim.redis.dlq_stream", "haim.redis.transitions_stream");
    /** Of {@link #STREAM_KEYS}, those whose {@code <stream>:<tenant>} the job also reads with {@code haim.redis.tenant_streams}. */
    public static final java.util.List<String> TENANT_STREAM_KEYS = java.util.List.of("haim.redis.stream_key", "haim.redis.query_stream");

    /** The streams a reply may not go to: the job's own, and with tenant streams the families it discovers. */
    private String[] reservedStreams() {
        java.util.List<String> r = new java.util.ArrayList<>();
        STREAM_KEYS.forEach(k -> r.add(getString(k)));
        for (String k : TENANT_STREAM_KEYS) {
            if (tenantStreamPrefix(k) != null) {
                r.add(tenantStreamPrefix(k));
            }
        }
        return r.toArray(new String[0]);
    }

    /** With {@code haim.redis.tenant_streams}, what the names of the tenant streams of stream key {@code key} begin with; else null. */
    public String tenantStreamPrefix(String key) {
        return getBool("haim.redis.tenant_streams") ? getString(key) + ":" : null;
    }

    /** "defaults", a file path, "env HAIM_…" or "--set". */
    public String source(String key) {
        return sources.get(key);
    }

    public Map<String, Object> asMap() {
        return Collections.unmodifiableMap(values);
    }
}
