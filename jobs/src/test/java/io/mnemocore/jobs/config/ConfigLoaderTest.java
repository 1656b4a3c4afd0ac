package io.mnemocore.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.operators.codec.CodecLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @Test
    void defaultsAreTheBlueprintValues() {
        MnemoConfig c = ConfigLoader.defaults();
        assertThat(c.dimensionality()).isEqualTo(16384);
        assertThat(c.getInt("haim.tiers.hot.max_memories")).isEqualTo(100_000);
        assertThat(c.getDouble("haim.tiers.hot.ltp_threshold_min")).isEqualTo(0.7);
        assertThat(c.getDouble("haim.tiers.warm.ltp_threshold_min")).isEqualTo(0.3);
        assertThat(c.getDouble("haim.tiers.cold.archive_threshold_days")).isEqualTo(30.0);
        assertThat(c.getString("haim.redis.stream_key")).isEqualTo("haim:subconscious");
        assertThat(c.getInt("haim.redis.max_connections")).isEqualTo(10);
        assertThat(c.getString("haim.qdrant.collection_warm")).isEqualTo("haim_warm");
        assertThat(c.getInt("haim.qdrant.hnsw_m")).isEqualTo(16);
        assertThat(c.getBool("haim.gpu.enabled")).isFalse();
        assertThat(c.getInt("haim.gpu.batch_size")).isEqualTo(1000);
        assertThat(c.getInt("haim.observability.metrics_port")).isEqualTo(9090);
        assertThat(c.source("haim.dimensionality")).isEqualTo("defaults");
        assertThat(c.codecLimits().dim).isEqualTo(16384);
        assertThat(c.codecLimits().reservedStreams).containsExactly("haim:subconscious", "haim:queries", "haim:dlq", "haim:transitions");
        // CodecLimits.defaults (tests, and the client without a config) holds the same streams.
        assertThat(CodecLimits.defaults(16384).reservedStreams).isEqualTo(c.codecLimits().reservedStreams);
        // With tenant streams the job reads <stream>:<tenant> too; the bench's own <prefix>:replies needs them off.
        assertThat(ConfigLoader.load(null, Map.of(), List.of("haim.redis.tenant_streams=true")).codecLimits().reservedStreams).containsExactly("haim:subconscious",
                "haim:queries", "haim:dlq", "haim:transitions", "haim:subconscious:", "haim:queries:");
    }

    @Test
    void everySchemaKeyHasADefaultAndAComment() {
        String yaml = ConfigLoader.defaultsText();
        Map<String, Object> flat = ConfigLoader.flattenYaml(yaml, "defaults");
        Map<String, String> comments = ConfigLoader.comments(yaml);
        for (ConfigSchema.Key k : ConfigSchema.keys()) {
            assertThat(flat).as("default for %s", k.name).containsKey(k.name);
            assertThat(comments.get(k.name)).as("comment for %s", k.name).isNotBlank();
        }
        assertThat(flat.keySet()).hasSameSizeAs(ConfigSchema.keys());
    }

    @Test
    void fileThenEnvThenSetOverride(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("my.yaml");
        Files.writeString(f, "haim:\n  tiers:\n    hot:\n      max_memories: 500\n  redis:\n    max_connections: 4\n  gpu:\n    batch_size: 64\n");
        MnemoConfig c = ConfigLoader.load(f,
                Map.of("HAIM_REDIS_MAX_CONNECTIONS", "7", "HAIM_GPU_BATCH_SIZE", "128", "PATH", "/bin"),
                List.of("gpu.batch_size=256", "haim.search.threads=2"));
        assertThat(c.getInt("haim.tiers.hot.max_memories")).isEqualTo(500);
        assertThat(c.source("haim.tiers.hot.max_memories")).isEqualTo(f.toString());
        assertThat(c.getInt("haim.redis.max_connections")).isEqualTo(7);
        assertThat(c.source("haim.redis.max_connections")).isEqualTo("env HAIM_REDIS_MAX_CONNECTIONS");
        assertThat(c.getInt("haim.gpu.batch_size")).isEqualTo(256);
        assertThat(c.source("haim.gpu.batch_size")).isEqualTo("--set");
        assertThat(c.getInt("haim.search.threads")).isEqualTo(2);
        assertThat(c.dimensionality()).isEqualTo(16384);
    }

    @Test
    void validationNamesTheKey(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.dimensionality=1000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("haim.dimensionality").hasMessageContaining("multiple of 64").hasMessageContaining("--set");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("tiers.hot.max_memory=5")))
                .hasMessageContaining("unknown config key 'haim.tiers.hot.max_memory'")
                .hasMessageContaining("did you mean 'haim.tiers.hot.max_memories'");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.tiers.hot.ltp_threshold_min=1.5")))
                .hasMessageContaining("haim.tiers.hot.ltp_threshold_min").hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.search.realtime_budget_share=0")))
                .hasMessageContaining("haim.search.realtime_budget_share").hasMessageContaining("[0.05, 1]");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.tiers.warm.ltp_threshold_min=0.8")))
                .hasMessageContaining("haim.tiers.warm.ltp_threshold_min").hasMessageContaining("must be below");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.redis.query_stream=haim:subconscious")))
                .hasMessage("haim.redis.query_stream (haim:subconscious, --set) must differ from haim.redis.stream_key"
                        + " (haim:subconscious, defaults): each of the job's streams has one use");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.redis.dlq_stream=haim:transitions")))
                .hasMessageStartingWith("haim.redis.transitions_stream (haim:transitions, defaults) must differ from haim.redis.dlq_stream");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.redis.stream_key=haim:replies")))
                .hasMessageStartingWith("haim.redis.stream_key (haim:replies, --set) must differ from haim:replies");
        // bench query's layout (<bus>, <bus>:q, ...) is fine until the job reads <bus>:<tenant> streams.
        List<String> benchLike = List.of("haim.redis.stream_key=b", "haim.redis.query_stream=b:q", "haim.redis.dlq_stream=b:dlq",
                "haim.redis.transitions_stream=b:log");
        assertThat(ConfigLoader.load(null, Map.of(), benchLike).getString("haim.redis.query_stream")).isEqualTo("b:q");
        List<String> withTenants = new java.util.ArrayList<>(benchLike);
        withTenants.add("haim.redis.tenant_streams=true");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), withTenants))
                .hasMessageStartingWith("haim.redis.query_stream (b:q, --set) is named like a tenant stream of haim.redis.stream_key (b:<tenant>)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.redis.tenant_streams=true",
                "haim.redis.dlq_stream=haim:queries:dlq")))
                .hasMessageStartingWith("haim.redis.dlq_stream (haim:queries:dlq, --set) is named like a tenant stream of haim.redis.query_stream");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.gpu.enabled=yes")))
                .hasMessageContaining("haim.gpu.enabled").hasMessageContaining("expected bool");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.encoder.type=bert")))
                .hasMessageContaining("haim.encoder.type").hasMessageContaining("[ngram, minilm]");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HAIM_REDIS_MAX_CONECTIONS", "3"), List.of()))
                .hasMessageContaining("HAIM_REDIS_MAX_CONECTIONS").hasMessageContaining("HAIM_REDIS_MAX_CONNECTIONS");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HAIM_REDIS_URL", "http://x"), List.of()))
                .hasMessageContaining("haim.redis.url").hasMessageContaining("env HAIM_REDIS_URL");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HAIM_SEARCH_CONFIDENCE_CALIBRATION", "encoder"),
                List.of("haim.search.confidence_threshold_bits=3000")))
                .hasMessageContaining("haim.search.confidence_threshold_bits (3000, --set)")
                .hasMessageContaining("haim.search.confidence_calibration=encoder (env HAIM_SEARCH_CONFIDENCE_CALIBRATION)");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("haim.search.confidence_false_rate=0.9")))
                .hasMessageContaining("haim.search.confidence_false_rate").hasMessageContaining("[1.0E-12, 0.5]");
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "haim:\n  tiers:\n    hot:\n      max_memories: -3\n");
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), List.of()))
                .hasMessageContaining("haim.tiers.hot.max_memories").hasMessageContaining(f.toString());
        Files.writeString(f, "haim: [1, 2");
        assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), List.of())).hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("novalue")))
                .hasMessageContaining("key=value");
    }

    @Test
    void envNamesFollowTheKeyPath() {
        assertThat(ConfigSchema.envName("haim.tiers.hot.max_memories")).isEqualTo("HAIM_TIERS_HOT_MAX_MEMORIES");
        assertThat(ConfigSchema.closest("haim.dimensionalty")).isEqualTo("haim.dimensionality");
        assertThat(ConfigSchema.closest("completely.unrelated.thing.here")).isNull();
    }
}
