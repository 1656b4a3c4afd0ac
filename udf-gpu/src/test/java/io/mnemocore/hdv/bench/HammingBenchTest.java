package io.mnemocore.hdv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.ReferenceKernel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HammingBenchTest {

    @Test
    void readsPackbitsFilesAndWritesSortedResults(@TempDir Path dir) throws Exception {
        int dim = 512;
        HdvMatrix m = HammingBench.generate(300, dim, 5);
        long[][] qs = HammingBench.flippedQueries(m, 4, 0.1, 6);
        Path data = dir.resolve("data.bin"), queries = dir.resolve("q.bin"), out = dir.resolve("out.txt");
        try (var os = Files.newOutputStream(data)) {
            for (int r = 0; r < m.rows(); r++) {
                os.write(Hdv.wrap(dim, m.row(r)).toPacked());
            }
        }
        try (var os = Files.newOutputStream(queries)) {
            for (long[] q : qs) {
                os.write(Hdv.wrap(dim, q).toPacked());
            }
        }
        HdvMatrix loaded = HammingBench.load(data, dim, Integer.MAX_VALUE);
        assertThat(loaded.rows()).isEqualTo(300);
        assertThat(loaded.row(123)).isEqualTo(m.row(123));

        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            HammingBench.main(new String[] {"--dim", "512", "--data", data.toString(), "--queries-file",
                queries.toString(), "--k", "5", "--threads", "2", "--kernel", "cpu", "--out", out.toString(), "--verify"});
        } finally {
            System.setOut(old);
        }
        String[] lines = captured.toString().trim().split("\n");
        String json = lines[lines.length - 1];
        assertThat(json).startsWith("{").endsWith("}")
                .contains("\"kernel\":\"cpu\"", "\"n\":300", "\"queries\":4", "\"mismatches_vs_reference\":0",
                        "\"ms_per_query_p50\":", "\"ms_per_query_p99\":", "\"scan_gb_per_s\":", "\"bandwidth_limit_gb_per_s\":",
                        "\"bandwidth_limit_source\":\"host sequential read\"")
                .doesNotContain("device_peak_gb_per_s");
        List<String> outLines = Files.readAllLines(out);
        assertThat(outLines).hasSize(4);
        ReferenceKernel ref = new ReferenceKernel();
        for (int q = 0; q < 4; q++) {
            assertThat(outLines.get(q)).isEqualTo(ref.topK(m, qs[q], 5).format());
        }
    }
}
