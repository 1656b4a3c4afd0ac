package io.mnemocore.jobs;

import io.mnemocore.hdv.encode.ConfidenceCalibration;
import io.mnemocore.jobs.config.MnemoConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ./mnemocore calibrate}: the confidence threshold for the configured text encoder, on the
 * built-in question/memory pairs or on the user's own ({@code --pairs FILE}, which describe a
 * deployment's memories better than any built-in sample).
 */
public final class Calibrate {
    private Calibrate() {}

    public static void main(String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        Path file = o.pathOpt("--pairs", null);
        boolean json = o.flag("--json");
        o.done("--pairs FILE, --json");
        if (file != null && !Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--pairs: no such file: " + file);
        }
        MnemoConfig c = o.config();
        List<ConfidenceCalibration.Pair> pairs = file == null ? ConfidenceCalibration.builtInPairs() : ConfidenceCalibration.readPairs(file);
        String source = file == null ? "the built-in " + ConfidenceCalibration.BUILT_IN : file.toString();
        ConfidenceCalibration cal = JobSettings.calibrate(c, JobSettings.encoderSpec(c), pairs, source);
        int configured = c.confidenceThresholdBits();
        if (json) {
            System.out.println(cal.toJson(configured));
            return;
        }
        System.out.print(cal.summary(configured));
        System.out.println("to use it: --set haim.search.confidence_calibration=encoder (the job computes it at start on the built-in pairs),"
                + " or --set haim.search.confidence_threshold_bits=" + cal.threshold);
    }
}
