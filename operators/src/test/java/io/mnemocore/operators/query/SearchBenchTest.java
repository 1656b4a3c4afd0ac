package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SearchBenchTest {

    private static String run(String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            SearchBench.main(args);
        } finally {
            System.setOut(old);
        }
        String[] lines = captured.toString().trim().split("\n");
        return lines[lines.length - 1];
    }

    private static double recall(String json, int sketchBits) {
        Matcher m = Pattern.compile("\\{\"sketch_bits\":" + sketchBits + ",[^}]*\"recall_at_10\":([0-9.]+)").matcher(json);
        assertThat(m.find()).as("sketch %d in %s", sketchBits, json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void recallIsOneWhenTheSketchIsTheWholeVectorAndFallsWhenItIsTooSmallToRank() throws Exception {
        // A sketch of the whole vector ranks exactly; a 64-bit sketch that keeps only
        // k x 1 candidates (no margin) cannot rank the rows of one cluster, so its recall drops.
        String json = run("--n", "3000", "--queries", "40", "--rounds", "1",
                "--sketch-bits", "16384,64", "--oversample", "1", "--margin", "0");
        assertThat(json).startsWith("{\"n\":3000,\"dim\":16384,\"k\":10,\"queries\":40,").endsWith("]}")
                .contains("\"exact_ms_p50\":", "\"speedup_vs_exact\":", "\"read_limit_ms\":", "\"ranked_mean\":10.0000");
        assertThat(recall(json, 16384)).isEqualTo(1.0);
        assertThat(recall(json, 64)).isLessThan(0.9);
    }

    @Test
    void theDefaultsKeepTheRecallTargetOnClusteredData() throws Exception {
        String json = run("--n", "20000", "--queries", "30", "--rounds", "1", "--sketch-bits", "256,512");
        assertThat(recall(json, 256)).isGreaterThanOrEqualTo(0.99);
        assertThat(recall(json, 512)).isGreaterThanOrEqualTo(0.99);
    }
}
