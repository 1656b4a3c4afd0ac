package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.jobs.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class LoggingTest {
    @AfterEach
    void restoreDefaultLogging() {
        Configurator.reconfigure();
    }

    @Test
    void structuredLoggingWritesOneJsonObjectPerLine(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("m.log");
        Logging.configure(ConfigLoader.load(null, Map.of(), List.of("haim.observability.structured_logging=true",
                "haim.observability.log_level=INFO")), log);
        LoggerFactory.getLogger("io.mnemocore.test").info("hello \"json\"\nsecond line");
        LoggerFactory.getLogger("io.mnemocore.test").debug("below the level");
        LoggerFactory.getLogger("io.mnemocore.test").warn("failed", new IllegalStateException("boom"));
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(2);
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0));
        assertThat(first.path("message").asText()).isEqualTo("hello \"json\"\nsecond line");
        assertThat(first.path("log.level").asText()).isEqualTo("INFO");
        assertThat(first.path("log.logger").asText()).isEqualTo("io.mnemocore.test");
        assertThat(first.has("@timestamp")).isTrue();
        JsonNode second = json.readTree(lines.get(1));
        assertThat(second.path("error.message").asText()).isEqualTo("boom");
        assertThat(second.path("error.stack_trace").asText()).contains("LoggingTest");
    }

    @Test
    void plainLoggingWhenSwitchedOff(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("m.log");
        Logging.configure(ConfigLoader.load(null, Map.of(), List.of("haim.observability.structured_logging=false",
                "haim.observability.log_level=DEBUG")), log);
        LoggerFactory.getLogger("io.mnemocore.test").debug("plain line");
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("DEBUG").contains("plain line").doesNotStartWith("{");
    }
}
