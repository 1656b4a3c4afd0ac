package io.mnemocore.jobs.config;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The type and constraint of every key. Defaults are not here: they live in
 * {@code conf/mnemocore.yaml} (packaged into the jar), the one place a user reads them.
 */
public final class ConfigSchema {

    public enum Type { INT, LONG, DOUBLE, BOOL, STRING }

    /** One key: its type, an optional range or set of allowed values, and a check of its own. */
    public static final class Key {
        public final String name;
        public final Type type;
        final double min;
        final double max;
        final List<String> allowed;
        final Pattern pattern;
        final String rule;

        Key(String name, Type type, double min, double max, List<String> allowed, Pattern pattern, String rule) {
            this.name = name;
            this.type = type;
            this.min = min;
            this.max = max;
            this.allowed = allowed;
            this.pattern = pattern;
            this.rule = rule;
        }

        /** Returns an error text, or null when the value is fine. */
        String check(Object v) {
            if (type == Type.INT || type == Type.LONG || type == Type.DOUBLE) {
                double d = ((Number) v).doubleValue();
                if (d < min || d > max) {
                    return "must be in [" + fmt(min) + ", " + fmt(max) + "], got " + v;
                }
                if ("multiple of 64".equals(rule) && ((Number) v).longValue() % 64 != 0) {
                    return "must be a multiple of 64, got " + v;
                }
            }
            if (allowed != null && !allowed.contains(v.toString())) {
                return "must be one of " + allowed + ", got '" + v + "'";
            }
            if (pattern != null && !pattern.matcher(v.toString()).matches()) {
                return "must be " + rule + ", got '" + v + "'";
            }
            return null;
        }

        private static String fmt(double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
    }

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();

    private static void num(String name, Type t, double min, double max) {
        KEYS.put(name, new Key(name, t, min, max, null, null, null));
    }

    private static void oneOf(String name, String... allowed) {
        KEYS.put(name, new Key(name, Type.STRING, 0, 0, List.of(allowed), null, null));
    }

    private static void str(String name, String regex, String rule) {
        KEYS.put(name, new Key(name, Type.STRING, 0, 0, null, regex == null ? null : Pattern.compile(regex), rule));
    }

    private static void bool(String name) {
        KEYS.put(name, new Key(name, Type.BOOL, 0, 0, null, null, null));
    }

    static {
        str("haim.version", "[0-9]+(\\.[0-9]+)*", "a version like 3.5");
        KEYS.put("haim.dimensionality", new Key("haim.dimensionality", Type.INT, 64, 1 << 20, null, null, "multiple of 64"));

        num("haim.tiers.hot.max_memories", Type.INT, 1, Integer.MAX_VALUE);
        num("haim.tiers.hot.ltp_threshold_min", Type.DOUBLE, 0, 1);
        oneOf("haim.tiers.hot.eviction_policy", "lru");
        num("haim.tiers.warm.max_memories", Type.LONG, 1, Long.MAX_VALUE);
        num("haim.tiers.warm.ltp_threshold_min", Type.DOUBLE, 0, 1);
        num("haim.tiers.warm.consolidation_interval_hours", Type.INT, 0, 24 * 365);
        str("haim.tiers.warm.path", ".{1,4096}", "a directory");
        num("haim.tiers.warm.batch_size", Type.INT, 1, 100_000);
        num("haim.tiers.warm.max_delay_ms", Type.LONG, 0, 3_600_000);
        oneOf("haim.tiers.cold.storage_backend", "filesystem", "s3");
        oneOf("haim.tiers.cold.compression", "none");
        num("haim.tiers.cold.archive_threshold_days", Type.DOUBLE, 1e-9, 36500);
        str("haim.tiers.cold.path", ".{1,4096}", "a directory or an s3a:// URI");
        num("haim.tiers.cold.rows_per_file", Type.INT, 1, 1 << 20);
        num("haim.tiers.cold.rehydrate_grace_ms", Type.LONG, 0, 86_400_000);
        num("haim.tiers.cold.rehydrate_threads", Type.INT, 1, 256);
        str("haim.tiers.cold.s3_endpoint", "|https?://.+", "empty or an http(s):// URL");
        str("haim.tiers.cold.s3_access_key", ".{0,1024}", "a key");
        str("haim.tiers.cold.s3_secret_key", ".{0,1024}", "a key");
        bool("haim.tiers.cold.s3_path_style_access");

        str("haim.qdrant.url", "|https?://.+", "empty or an http(s):// URL");
        str("haim.qdrant.collection_hot", "[A-Za-z0-9_-]{1,255}", "a collection name");
        str("haim.qdrant.collection_warm", "[A-Za-z0-9_-]{1,255}", "a collection name");
        bool("haim.qdrant.binary_quantization");
        bool("haim.qdrant.always_ram");
        num("haim.qdrant.hnsw_m", Type.INT, 2, 128);
        num("haim.qdrant.hnsw_ef_construct", Type.INT, 4, 4096);
        str("haim.qdrant.api_key", ".{0,4096}", "a key");
        num("haim.qdrant.timeout_ms", Type.LONG, 1, 3_600_000);
        num("haim.qdrant.retries", Type.INT, 0, 100);
        num("haim.qdrant.breaker_failures", Type.INT, 1, 1000);
        num("haim.qdrant.breaker_reset_s", Type.DOUBLE, 0.001, 86_400);

        str("haim.redis.url", "rediss?://.+", "a redis:// or rediss:// URL");
        str("haim.redis.stream_key", ".{1,256}", "a non-empty stream key");
        num("haim.redis.max_connections", Type.INT, 1, 1024);
        num("haim.redis.socket_timeout", Type.DOUBLE, 0.001, 3600);
        str("haim.redis.consumer_group", "[A-Za-z0-9_.:-]{1,128}", "a group name");
        num("haim.redis.consumers_per_stream", Type.INT, 1, 4096);
        num("haim.redis.batch_size", Type.INT, 1, 100_000);
        num("haim.redis.block_ms", Type.INT, 1, 60_000);
        bool("haim.redis.tenant_streams");
        num("haim.redis.discovery_interval_s", Type.INT, 1, 86_400);
        num("haim.redis.claim_idle_ms", Type.LONG, 0, 30L * 86_400_000);
        num("haim.redis.claim_interval_ms", Type.LONG, 10, 86_400_000);
        str("haim.redis.dlq_stream", ".{1,256}", "a non-empty stream key");
        str("haim.redis.transitions_stream", ".{1,256}", "a non-empty stream key");
        str("haim.redis.query_stream", ".{1,256}", "a non-empty stream key");
        num("haim.redis.output_maxlen", Type.LONG, 1, Long.MAX_VALUE);
        num("haim.redis.output_max_delay_ms", Type.LONG, 0, 3_600_000);

        num("haim.ltp.initial_strength", Type.DOUBLE, 0, 1);
        num("haim.ltp.half_life_hours", Type.DOUBLE, 1e-6, 1e6);
        num("haim.ltp.reinforcement", Type.DOUBLE, 0, 1);
        num("haim.ltp.half_life_growth", Type.DOUBLE, 1, 100);
        num("haim.ltp.max_half_life_days", Type.DOUBLE, 1e-6, 1e6);
        num("haim.ltp.hysteresis", Type.DOUBLE, 0, 0.5);
        num("haim.ltp.time_scale", Type.DOUBLE, 1e-6, 1e9);

        num("haim.job.parallelism", Type.INT, 0, 4096);
        num("haim.job.max_parallelism", Type.INT, 1, 32768);
        num("haim.job.checkpoint_interval_ms", Type.LONG, 100, 86_400_000);
        bool("haim.job.unaligned_checkpoints");
        num("haim.job.max_event_delay_ms", Type.LONG, 0, 86_400_000);
        num("haim.job.idle_timeout_ms", Type.LONG, 1, 86_400_000);
        num("haim.job.hot_changes_buffer_timeout_ms", Type.LONG, 0, 60_000);

        bool("haim.gpu.enabled");
        str("haim.gpu.device", "cuda:[0-9]+", "cuda:N");
        num("haim.gpu.batch_size", Type.INT, 1, 1 << 20);
        bool("haim.gpu.fallback_to_cpu");

        num("haim.observability.metrics_port", Type.INT, 1, 65535);
        oneOf("haim.observability.log_level", "TRACE", "DEBUG", "INFO", "WARN", "ERROR");
        bool("haim.observability.structured_logging");

        oneOf("haim.encoder.type", "ngram", "minilm");
        num("haim.encoder.ngram_size", Type.INT, 1, 16);
        oneOf("haim.encoder.minilm_variant", "all-minilm-l6-v2", "all-minilm-l6-v2-q");
        num("haim.encoder.seed", Type.LONG, Long.MIN_VALUE, Long.MAX_VALUE);

        oneOf("haim.search.kernel", "cpu", "reference", "cuda");
        num("haim.search.threads", Type.INT, 1, 256);
        oneOf("haim.search.mode", "exact", "approximate");
        num("haim.search.sketch_bits", Type.INT, 64, 1 << 20);
        num("haim.search.oversample", Type.INT, 1, 10_000);
        num("haim.search.sketch_margin_sigmas", Type.DOUBLE, 0, 100);
        num("haim.search.approximate_min_rows", Type.INT, 0, Integer.MAX_VALUE);
        num("haim.search.warmup_searches", Type.INT, 0, 1_000_000);
        num("haim.search.confidence_threshold_bits", Type.INT, 0, 1 << 20);
        oneOf("haim.search.confidence_calibration", "blueprint", "encoder");
        num("haim.search.confidence_false_rate", Type.DOUBLE, 1e-12, 0.5);
        num("haim.search.merge_timeout_ms", Type.LONG, 10, 3_600_000);
        num("haim.search.result_ttl_s", Type.LONG, 1, 30L * 86_400);
        num("haim.search.weight_similarity", Type.DOUBLE, 0, 1000);
        num("haim.search.weight_ltp", Type.DOUBLE, 0, 1000);
        num("haim.search.weight_recency", Type.DOUBLE, 0, 1000);
        num("haim.search.recency_half_life_hours", Type.DOUBLE, 1e-6, 1e6);
        num("haim.search.weight_context", Type.DOUBLE, 0, 1000);
        bool("haim.search.warm_fallback");
        num("haim.search.warm_timeout_ms", Type.LONG, 1, 600_000);
        num("haim.search.warm_threads", Type.INT, 1, 256);
        num("haim.search.warm_breaker_failures", Type.INT, 1, 1_000_000);
        num("haim.search.warm_breaker_reset_s", Type.LONG, 1, 86_400);
        num("haim.search.thread_priority", Type.INT, 1, 10);
        num("haim.search.realtime_priority", Type.INT, 0, 99);
        num("haim.search.realtime_budget_window_ms", Type.INT, 1, 1000);
        num("haim.search.realtime_budget_share", Type.DOUBLE, 0.05, 1);
        num("haim.search.realtime_budget_share_compiling", Type.DOUBLE, 0.05, 1);

        bool("haim.inference.enabled");
        num("haim.inference.window", Type.INT, 2, 4096);
        bool("haim.inference.prewarm");

        num("haim.codec.max_event_bytes", Type.INT, 1024, 64 << 20);
        num("haim.codec.max_id_length", Type.INT, 1, 4096);
        num("haim.codec.max_text_length", Type.INT, 1, 1 << 20);
        num("haim.codec.max_payload_bytes", Type.INT, 0, 16 << 20);
        num("haim.codec.max_k", Type.INT, 1, 100_000);
        num("haim.codec.max_memory_ids", Type.INT, 1, 1_000_000);
    }

    private ConfigSchema() {}

    public static Key key(String name) {
        return KEYS.get(name);
    }

    public static Collection<Key> keys() {
        return KEYS.values();
    }

    /** The env variable that overrides a key: {@code haim.tiers.hot.max_memories} → HAIM_TIERS_HOT_MAX_MEMORIES. */
    public static String envName(String key) {
        return "HAIM_" + key.substring("haim.".length()).toUpperCase(java.util.Locale.ROOT).replace('.', '_');
    }

    /** The known key closest to a misspelled one (edit distance), or null if none is close. */
    public static String closest(String unknown) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String k : KEYS.keySet()) {
            int d = levenshtein(unknown, k);
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return bestD <= Math.max(3, unknown.length() / 3) ? best : null;
    }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
