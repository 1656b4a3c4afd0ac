package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.hdv.encode.ConfidenceCalibration;
import io.mnemocore.hdv.encode.NgramEncoder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./mnemocore calibrate}: the user's own pairs, the configured encoder and false rate, and its errors. */
class CalibrateTest {

    private static String run(String... args) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            Calibrate.main(args);
        } finally {
            System.setOut(out);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void calibratesOnTheUsersPairsWithTheConfiguredSettings(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pairs.tsv");
        Files.writeString(f, "# mine\n"
                + "where is the spare key\tThe spare key is in the blue box in the shed.\n"
                + "what is the wifi password\tThe wifi password is bluefalcon42.\n"
                + "when is the dentist\tDentist appointment on March 14 at 8:30.\n"
                + "what does the dog eat\tThe dog eats dry food twice a day.\n"
                + "which train do I take home\tI take the 17:12 train home from the central station.\n"
                + "who fixes the boiler\tThe boiler is serviced by Nordic Heat every October.\n");
        String json = run("--pairs", f.toString(), "--json", "--set", "haim.search.confidence_false_rate=0.001",
                "--set", "haim.tiers.hot.max_memories=5000");
        ConfidenceCalibration expected = ConfidenceCalibration.calibrate(new NgramEncoder(16384, 3, 42L),
                ConfidenceCalibration.readPairs(f), f.toString(), 0.001, 5000);
        String[] lines = json.strip().split("\n");
        assertThat(lines[lines.length - 1]).startsWith("{\"encoder\":\"ngram\"").endsWith("}")
                .contains("\"pairs\":6,", "\"unrelated_pairs\":30,", "\"false_rate\":0.001,", "\"memories\":5000,",
                        "\"threshold_bits\":" + expected.threshold + ",", "\"uncalibrated_bits\":500,");

        String text = run("--pairs", f.toString(), "--set", "haim.search.confidence_false_rate=0.001",
                "--set", "haim.tiers.hot.max_memories=5000");
        assertThat(text).contains("6 question/memory pairs from " + f, "calibrated threshold: " + expected.threshold + " bits",
                "--set haim.search.confidence_threshold_bits=" + expected.threshold);
        // The defaults (0.01 over 100,000 memories) ask for more distance from chance.
        assertThat(run("--pairs", f.toString())).doesNotContain("calibrated threshold: " + expected.threshold + " bits");
    }

    @Test
    void badInputIsNamed(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> run("--pairs", dir.resolve("missing.tsv").toString()))
                .hasMessageContaining("--pairs: no such file");
        assertThatThrownBy(() -> run("--pears", "x")).hasMessageContaining("unknown option '--pears'");
        Path f = dir.resolve("short.tsv");
        Files.writeString(f, "a question\ta memory\n");
        assertThatThrownBy(() -> run("--pairs", f.toString())).hasMessageContaining("at least 5").hasMessageContaining(f.toString());
    }
}
