package io.mnemocore.hdv.encode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The calibrated confidence threshold: its statistics, its input, and what it gives for both real encoders. */
class ConfidenceCalibrationTest {
    private static final int D = 16384;
    private static final int BLUEPRINT = 500;

    @Test
    void normalTailMatchesTabulatedQuantiles() {
        assertThat(ConfidenceCalibration.upperTailZ(0.5)).isCloseTo(0.0, within(1e-6));
        assertThat(ConfidenceCalibration.upperTailZ(0.025)).isCloseTo(1.959964, within(1e-4));
        assertThat(ConfidenceCalibration.upperTailZ(1e-3)).isCloseTo(3.090232, within(1e-4));
        assertThat(ConfidenceCalibration.upperTailZ(1e-7)).isCloseTo(5.199338, within(1e-3));
        assertThat(ConfidenceCalibration.upperTailZ(0.975)).isCloseTo(-1.959964, within(1e-4));
        assertThatThrownBy(() -> ConfidenceCalibration.upperTailZ(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRateForEachMemoryKeepsTheBestOfManyUnderTheTarget() {
        assertThat(ConfidenceCalibration.perMemoryRate(0.01, 1)).isCloseTo(0.01, within(1e-15));
        double p = ConfidenceCalibration.perMemoryRate(0.01, 100_000);
        assertThat(1 - Math.pow(1 - p, 100_000)).isCloseTo(0.01, within(1e-9));
        assertThat(p).isCloseTo(1.005e-7, within(1e-10));
    }

    @Test
    void theThresholdStaysBetweenZeroAndTheChanceBound() {
        int bound = ConfidenceCalibration.chanceBound(D); // D/2 - 6 sigma of chance
        assertThat(bound).isEqualTo(8192 - 384);
        assertThat(ConfidenceCalibration.threshold(8000, 10, 1, D)).isEqualTo(bound);
        assertThat(ConfidenceCalibration.threshold(6000, 2000, 5, D)).isZero();
        assertThat(ConfidenceCalibration.threshold(7000, 100, 5.5, D)).isEqualTo(6450);
    }

    @Test
    void pairsFilesSkipCommentsAndNameTheBadLine() throws Exception {
        List<ConfidenceCalibration.Pair> ok = ConfidenceCalibration.parse(new StringReader(
                "# a comment\n\nwhere is the key\tThe key is in the shed.\n"), "pairs.tsv");
        assertThat(ok).hasSize(1);
        assertThat(ok.get(0).question).isEqualTo("where is the key");
        assertThat(ok.get(0).memory).isEqualTo("The key is in the shed.");
        assertThatThrownBy(() -> ConfidenceCalibration.parse(new StringReader("q\tm\nonly a question\n"), "pairs.tsv"))
                .hasMessageContaining("pairs.tsv:2").hasMessageContaining("question<TAB>memory");
        assertThatThrownBy(() -> ConfidenceCalibration.parse(new StringReader("q\t \n"), "pairs.tsv"))
                .hasMessageContaining("pairs.tsv:1");
        assertThatThrownBy(() -> ConfidenceCalibration.calibrate(new NgramEncoder(D, 3, 42L),
                ConfidenceCalibration.builtInPairs().subList(0, 4), "four", 0.01, 1000))
                .hasMessageContaining("at least 5").hasMessageContaining("four");
    }

    @Test
    void ngramEncoderCalibration() {
        // Lexical: only questions worded like their memory clear the bar (13 of 49 when written).
        check(new NgramEncoder(D, 3, 42L), 1 / 5.0);
    }

    @Test
    void minilmEncoderCalibration() {
        // Semantic: nearly every question does (47 of 49 when written).
        check(new MiniLmEncoder(D, 42L, MiniLmEncoder.FULL), 4 / 5.0);
    }

    private static void check(TextEncoder enc, double minConfident) {
        List<ConfidenceCalibration.Pair> pairs = ConfidenceCalibration.builtInPairs();
        assertThat(pairs).hasSize(49);
        ConfidenceCalibration c = ConfidenceCalibration.calibrate(enc, pairs, ConfidenceCalibration.BUILT_IN, 0.01, 100_000);
        System.out.print(c.summary(BLUEPRINT));
        System.out.println(c.toJson(BLUEPRINT));
        assertThat(c.unrelated).hasSize(49 * 48);
        assertThat(c.threshold).isEqualTo((int) Math.floor(c.unrelatedMean - c.z * c.unrelatedSd));
        // The blueprint's near-duplicate cut calls no text question confident; the calibrated one
        // calls some (the encoder decides how many) and no unrelated pair of the sample.
        assertThat(c.relatedBelow(BLUEPRINT)).isZero();
        assertThat(c.threshold).isGreaterThan(BLUEPRINT).isLessThan(c.chanceBound);
        assertThat(c.relatedBelow(c.threshold)).isGreaterThanOrEqualTo((int) Math.ceil(pairs.size() * minConfident));
        assertThat(c.unrelatedBelow(c.threshold)).isZero();
        // More memories or a lower false rate ask for more distance from chance.
        int fewer = ConfidenceCalibration.calibrate(enc, pairs, "", 0.01, 1_000).threshold;
        int stricter = ConfidenceCalibration.calibrate(enc, pairs, "", 1e-4, 100_000).threshold;
        assertThat(fewer).isGreaterThan(c.threshold);
        assertThat(stricter).isLessThan(c.threshold);
    }
}
