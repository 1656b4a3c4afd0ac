package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code ./mnemocore COMMAND --help} answers from the help text, before building or starting anything. */
class LauncherTest {

    /** Exit status, then stdout and stderr together. */
    private static List<String> launch(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", new File("../mnemocore").getCanonicalPath()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return List.of(Integer.toString(p.exitValue()), out);
    }

    @Test
    void aCommandsHelpIsItsEntryOfTheHelpText() throws Exception {
        List<String> store = launch("store", "--help");
        assertThat(store.get(0)).isEqualTo("0");
        assertThat(store.get(1)).startsWith("  store --text T|--hdv-file F").contains("write a memory").doesNotContain("query", "building");

        List<String> bench = launch("bench", "query", "-h");
        assertThat(bench.get(0)).isEqualTo("0");
        assertThat(bench.get(1)).startsWith("  bench query [opts]").contains("--reader-priority").doesNotContain("bench ingest");

        List<String> unknown = launch("bench", "nope", "--help");
        assertThat(unknown.get(0)).isEqualTo("2");
        assertThat(unknown.get(1)).startsWith("unknown command 'bench nope'").contains("usage: ./mnemocore COMMAND");
    }
}
