package io.mnemocore.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's config table must list every key with its current default. */
class ReadmeConfigTableTest {
    @Test
    void everyKeyIsDocumentedWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        MnemoConfig defaults = ConfigLoader.defaults();
        for (ConfigSchema.Key k : ConfigSchema.keys()) {
            String row = "| `" + k.name + "` | `" + defaults.asMap().get(k.name) + "` | `" + ConfigSchema.envName(k.name) + "` |";
            assertThat(readme).as("README row for %s (regenerate with ./mnemocore config --markdown)", k.name).contains(row);
        }
    }
}
