package io.mnemocore.jobs;

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

    public JobSettings(MnemoConfig c) {
        this.config = c;
        this.codec = new EventCodec(c.codecLimits());
        this.encoder = new EncoderSpec(c.getString("haim.encoder.type"), c.dimensionality(), c.getLong("haim.encoder.seed"),
                c.getInt("haim.encoder.ngram_size"), c.getString("haim.encoder.minilm_variant"));
        this.ltp = new LtpModel(LtpParams.of(
                c.getDouble("haim.ltp.half_life_hours"), c.getDouble("haim.ltp.reinforcement"),
                c.getDouble("haim.ltp.half_life_growth"), c.getDouble("haim.ltp.max_half_life_days"),
                c.getDouble("haim.tiers.hot.ltp_threshold_min"), c.getDouble("haim.tiers.warm.ltp_threshold_min"),
                c.getDouble("haim.ltp.hysteresis"), c.getDouble("haim.tiers.cold.archive_threshold_days"),
                c.getDouble("haim.ltp.initial_strength"), c.getDouble("haim.ltp.time_scale")));
        this.redis = new RedisConnectionConfig(c.getString("haim.redis.url"), c.getInt("haim.redis.max_connections"),
                (int) Math.round(c.getDouble("haim.redis.socket_timeout") * 1000));
    }

    public String streamKey() {
        return config.getString("haim.redis.stream_key");
    }

    /** The query stream: read by its own source so queries never wait behind bulk writes. */
    public RedisSourceOptions queryOptions() {
        return new RedisSourceOptions(redis, List.of(config.getString("haim.redis.query_stream")), null,
                config.getString("haim.redis.consumer_group"), "flink-q", 1,
                config.getInt("haim.redis.batch_size"), config.getInt("haim.redis.block_ms"),
                config.getInt("haim.redis.discovery_interval_s") * 1000L, -1, null,
                config.getLong("haim.redis.claim_idle_ms"), config.getLong("haim.redis.claim_interval_ms"));
    }

    public RedisSourceOptions sourceOptions() {
        return new RedisSourceOptions(redis, List.of(streamKey()),
                config.getBool("haim.redis.tenant_streams") ? streamKey() + ":" : null,
                config.getString("haim.redis.consumer_group"), "flink",
                config.getInt("haim.redis.consumers_per_stream"),
                config.getInt("haim.redis.batch_size"), config.getInt("haim.redis.block_ms"),
                config.getInt("haim.redis.discovery_interval_s") * 1000L, -1, null,
                config.getLong("haim.redis.claim_idle_ms"), config.getLong("haim.redis.claim_interval_ms"));
    }
}
