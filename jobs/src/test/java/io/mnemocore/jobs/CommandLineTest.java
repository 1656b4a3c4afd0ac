package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.jobs.config.MnemoConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line every job command parses: options by name, configuration layers, and errors that name the option. */
class CommandLineTest {
    private static final String INTERVAL = "haim.job.checkpoint_interval_ms";

    @Test
    void configurationOptionsAreSetApartFromTheCommandsOwn() {
        CommandLine o = CommandLine.of(new String[] {"bench", "--hot", "100_000", "--set", INTERVAL + "=3000", "--json"}, 1);
        assertThat(o.flag("--json")).isTrue();
        assertThat(o.intOpt("--hot", 7)).isEqualTo(100_000);
        o.done("--hot N"); // --set is not left over
        assertThat(o.config().getLong(INTERVAL)).isEqualTo(3000);
    }

    @Test
    void commandSettingsComeBetweenTheFileAndTheUsersSet(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mine.yaml");
        Files.writeString(file, "haim:\n  job:\n    checkpoint_interval_ms: 4000\n");
        CommandLine fileOnly = CommandLine.of(new String[] {"--config", file.toString()});
        assertThat(fileOnly.config().getLong(INTERVAL)).isEqualTo(4000);
        assertThat(fileOnly.config(List.of(INTERVAL + "=2000")).getLong(INTERVAL)).isEqualTo(2000);

        CommandLine withSet = CommandLine.of(new String[] {"--config=" + file, "--set", INTERVAL + "=3000"});
        MnemoConfig c = withSet.config(List.of(INTERVAL + "=2000"));
        assertThat(c.getLong(INTERVAL)).isEqualTo(3000);
        assertThat(CommandLine.of(new String[] {"--set=" + INTERVAL + "=5000"}).config().getLong(INTERVAL)).isEqualTo(5000);
        // Passed on to a submitted job, which runs elsewhere: the file's path must not depend on this directory.
        assertThat(withSet.jobArgs()).containsExactly("--config", file.toAbsolutePath().toString(), "--set", INTERVAL + "=3000");
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> CommandLine.of(new String[] {"--k", "3", "--set"})).hasMessage("--set needs a value");
        CommandLine typo = CommandLine.of(new String[] {"--hto", "5"});
        assertThat(typo.intOpt("--hot", 1)).isEqualTo(1);
        assertThatThrownBy(() -> typo.done("--hot N"))
                .hasMessage("unknown option '--hto' (all left over: [--hto, 5]); known: --hot N, --config FILE, --set key=value");
        assertThatThrownBy(() -> CommandLine.of(new String[] {"extra"}).done(""))
                .hasMessage("unexpected argument 'extra'; known: --config FILE, --set key=value");
    }

    @Test
    void commandsRefuseBadOptionsBeforeStartingAnything() {
        // Before, a missing value was an IndexOutOfBoundsException and a bad number a bare NumberFormatException.
        assertThatThrownBy(() -> QueryBench.main(new String[] {"--qps", "500", "--hot"})).hasMessage("--hot needs a value");
        assertThatThrownBy(() -> IngestBench.main(new String[] {"--events", "lots"}))
                .hasMessage("--events expects an integer, got 'lots'");
        assertThatThrownBy(() -> TierBench.main(new String[] {"--memories", "10", "--s4"}))
                .hasMessageStartingWith("unknown option '--s4'").hasMessageContaining("known: --memories N, --s3");
        assertThatThrownBy(() -> MnemoCoreJob.main(new String[] {"--data-dir"})).hasMessage("--data-dir needs a value");
        assertThatThrownBy(() -> Demo.main(new String[] {"--seconds", "soon"}, true))
                .hasMessage("--seconds expects an integer, got 'soon'");
    }
}
