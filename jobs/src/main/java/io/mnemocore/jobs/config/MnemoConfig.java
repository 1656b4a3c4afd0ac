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

    /** The streams a reply may not go to: the job's own, and with tenant streams the families it discovers. */
    private String[] reservedStreams() {
        java.util.List<String> r = new java.util.ArrayList<>(java.util.List.of(getString("haim.redis.stream_key"),
                getString("haim.redis.query_stream"), getString("haim.redis.dlq_stream"), getString("haim.redis.transitions_stream")));
        if (getBool("haim.redis.tenant_streams")) {
            r.add(getString("haim.redis.stream_key") + ":");
            r.add(getString("haim.redis.query_stream") + ":");
        }
        return r.toArray(new String[0]);
    }

    /** "defaults", a file path, "env HAIM_…" or "--set". */
    public String source(String key) {
        return sources.get(key);
    }

    public Map<String, Object> asMap() {
        return Collections.unmodifiableMap(values);
    }
}
