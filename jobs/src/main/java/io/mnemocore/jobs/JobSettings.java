package io.mnemocore.jobs;

import io.mnemocore.hdv.encode.ConfidenceCalibration;
import io.mnemocore.hdv.encode.EncoderSpec;
import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.codec.EventCodec;
import io.mnemocore.operators.ltp.LtpModel;
import io.mnemocore.operators.ltp.LtpParams;
import io.mnemocore.operators.redis.RedisConnectionConfig;
import io.mnemocore.operators.redis.source.RedisSourceOptions;
import java.io.Serializable;
import java.util.List;

/** Everything the job graph needs, derived once from the validated configuration. */
public final class JobSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    public final MnemoConfig config;
    public final EventCodec codec;
    public final EncoderSpec encoder;
    public final LtpModel ltp;
    public final RedisConnectionConfig redis;
    /** Where relative tier paths (haim.tiers.warm.path, haim.tiers.cold.path) live; null = the working directory. */
    public final String dataDir;

    public JobSettings(MnemoConfig c) {
        this(c, null);
    }

    /** @param dataDir the embedded runner's work directory, so each of demo and run has its own tier stores */
    public JobSettings(MnemoConfig c, java.nio.file.Path dataDir) {
        this.dataDir = dataDir == null ? null : dataDir.toAbsolutePath().normalize().toString();
        this.config = c;
        this.codec = new EventCodec(c.codecLimits());
        this.encoder = encoderSpec(c);
        this.ltp = new LtpModel(LtpParams.of(
                c.getDouble("haim.ltp.half_life_hours"), c.getDouble("haim.ltp.reinforcement"),
                c.getDouble("haim.ltp.half_life_growth"), c.getDouble("haim.ltp.max_half_life_days"),
                c.getDouble("haim.tiers.hot.ltp_threshold_min"), c.getDouble("haim.tiers.warm.ltp_threshold_min"),
                c.getDouble("haim.ltp.hysteresis"), c.getDouble("haim.tiers.cold.archive_threshold_days"),
                c.getDouble("haim.ltp.initial_strength"), c.getDouble("haim.ltp.time_scale")));
        this.redis = new RedisConnectionConfig(c.getString("haim.redis.url"), c.getInt("haim.redis.max_connections"),
                (int) Math.round(c.getDouble("haim.redis.socket_timeout") * 1000));
    }

    /**
     * A reply is confident when its best hit is closer than this: the blueprint's cut, or calibrated
     * for the encoder. Computed on each call (calibration encodes the built-in pairs), so only the
     * graph that serves queries pays for it, once.
     */
    public int confidenceThresholdBits() {
        return config.getString("haim.search.confidence_calibration").equals("encoder")
                ? calibrate(config, encoder, ConfidenceCalibration.builtInPairs(), ConfidenceCalibration.BUILT_IN).threshold
                : config.confidenceThresholdBits();
    }

    public static EncoderSpec encoderSpec(MnemoConfig c) {
        return new EncoderSpec(c.getString("haim.encoder.type"), c.dimensionality(), c.getLong("haim.encoder.seed"),
                c.getInt("haim.encoder.ngram_size"), c.getString("haim.encoder.minilm_variant"));
    }

    /** The confidence threshold for the configured encoder on {@code pairs}, at haim.search.confidence_false_rate over haim.tiers.hot.max_memories. */
    public static ConfidenceCalibration calibrate(MnemoConfig c, EncoderSpec encoder, List<ConfidenceCalibration.Pair> pairs, String source) {
        ConfidenceCalibration cal = ConfidenceCalibration.calibrate(encoder.create(), pairs, source,
                c.getDouble("haim.search.confidence_false_rate"), c.getLong("haim.tiers.hot.max_memories"));
        org.slf4j.LoggerFactory.getLogger(JobSettings.class).info(
                "confidence threshold calibrated for the {} encoder on {}: {} bits ({} of {} questions confident)",
                cal.encoder, source, cal.threshold, cal.relatedBelow(cal.threshold), cal.related.length);
        return cal;
    }

    /** The WARM store: Qdrant when haim.qdrant.url is set, else the embedded store (path made absolute here). */
    public io.mnemocore.operators.tier.WarmTierSpec warmSpec() {
        MnemoConfig c = config;
        return new io.mnemocore.operators.tier.WarmTierSpec(c.dimensionality(),
                local(c.getString("haim.tiers.warm.path")).toString(),
                c.getString("haim.qdrant.url"), c.getString("haim.qdrant.api_key"), c.getString("haim.qdrant.collection_warm"),
                c.getInt("haim.qdrant.hnsw_m"), c.getInt("haim.qdrant.hnsw_ef_construct"), c.getBool("haim.qdrant.binary_quantization"),
                c.getBool("haim.qdrant.always_ram"), c.getLong("haim.qdrant.timeout_ms"), c.getInt("haim.qdrant.retries"),
                c.getInt("haim.qdrant.breaker_failures"), Math.round(c.getDouble("haim.qdrant.breaker_reset_s") * 1000));
    }

    /** The archive root as a URI Flink's file systems understand (a plain directory becomes file:///abs/dir). */
    public String coldBase() {
        String p = config.getString("haim.tiers.cold.path");
        boolean s3 = config.getString("haim.tiers.cold.storage_backend").equals("s3");
        if (s3 != p.startsWith("s3a://") && s3 != p.startsWith("s3://")) {
            throw new io.mnemocore.jobs.config.ConfigException("haim.tiers.cold.path is '" + p + "' but haim.tiers.cold.storage_backend is '"
                    + config.getString("haim.tiers.cold.storage_backend") + "': s3 needs an s3a:// URI, filesystem a directory");
        }
        return p.contains("://") ? p : local(p).toUri().toString();
    }

    /** A configured local path, made absolute against {@link #dataDir}. */
    public java.nio.file.Path local(String path) {
        java.nio.file.Path p = java.nio.file.Path.of(path);
        return (dataDir == null || p.isAbsolute() ? p : java.nio.file.Path.of(dataDir).resolve(p)).toAbsolutePath().normalize();
    }

    /** Flink s3.* options from haim.tiers.cold.s3_*, for processes this project starts (embedded runs, CLI). */
    public java.util.Map<String, String> s3Options() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        if (!config.getString("haim.tiers.cold.s3_endpoint").isEmpty()) {
            m.put("s3.endpoint", config.getString("haim.tiers.cold.s3_endpoint"));
        }
        if (!config.getString("haim.tiers.cold.s3_access_key").isEmpty()) {
            m.put("s3.access-key", config.getString("haim.tiers.cold.s3_access_key"));
            m.put("s3.secret-key", config.getString("haim.tiers.cold.s3_secret_key"));
        }
        m.put("s3.path.style.access", Boolean.toString(config.getBool("haim.tiers.cold.s3_path_style_access")));
        return m;
    }

    /** Lets this process (a CLI command, a bench) read archives: s3a:// needs the s3.* options. */
    public void initializeFileSystems() {
        org.apache.flink.configuration.Configuration c = new org.apache.flink.configuration.Configuration();
        s3Options().forEach(c::setString);
        org.apache.flink.core.fs.FileSystem.initialize(c, null);
    }

    public String streamKey() {
        return config.getString("haim.redis.stream_key");
    }

    /**
     * The query stream, read by its own source so queries never wait behind bulk writes, and with
     * {@code tenant_streams} each tenant's {@code <query_stream>:<tenant>}, so that ACLs can confine
     * a tenant's agents to querying their own memories.
     */
    public RedisSourceOptions queryOptions() {
        return new RedisSourceOptions(redis, List.of(config.getString("haim.redis.query_stream")),
                config.tenantStreamPrefix("haim.redis.query_stream"),
                config.getString("haim.redis.consumer_group"), "flink-q", 1,
                config.getInt("haim.redis.batch_size"), config.getInt("haim.redis.block_ms"),
                config.getInt("haim.redis.discovery_interval_s") * 1000L, -1, null,
                config.getLong("haim.redis.claim_idle_ms"), config.getLong("haim.redis.claim_interval_ms"));
    }

    public RedisSourceOptions sourceOptions() {
        return new RedisSourceOptions(redis, List.of(streamKey()),
                config.tenantStreamPrefix("haim.redis.stream_key"),
                config.getString("haim.redis.consumer_group"), "flink",
                config.getInt("haim.redis.consumers_per_stream"),
                config.getInt("haim.redis.batch_size"), config.getInt("haim.redis.block_ms"),
                config.getInt("haim.redis.discovery_interval_s") * 1000L, -1, null,
                config.getLong("haim.redis.claim_idle_ms"), config.getLong("haim.redis.claim_interval_ms"));
    }
}
