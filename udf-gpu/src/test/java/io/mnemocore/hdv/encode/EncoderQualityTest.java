package io.mnemocore.hdv.encode;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Paraphrases must land closer than unrelated texts; prints the margin for both encoders. */
class EncoderQualityTest {
    private static final int D = 16384;

    static final List<String[]> PARAPHRASES = List.of(
            new String[] {"the cat sat on the mat", "a cat sat on the mat"},
            new String[] {"how do I reset my password", "how can I reset my password"},
            new String[] {"the meeting was moved to friday", "the meeting has been moved to friday"},
            new String[] {"the user prefers dark mode in the editor", "user prefers the dark mode in editors"},
            new String[] {"book a flight to Stockholm tomorrow", "book a flight to stockholm for tomorrow"});

    static final List<String[]> UNRELATED = List.of(
            new String[] {"the cat sat on the mat", "quarterly revenue exceeded projections"},
            new String[] {"how do I reset my password", "the garden needs watering after noon"},
            new String[] {"the meeting was moved to friday", "photosynthesis converts light into energy"},
            new String[] {"the user prefers dark mode in the editor", "she ordered two espressos and a croissant"},
            new String[] {"book a flight to Stockholm tomorrow", "the compiler rejected the generic bound"});

    private static MiniLmEncoder minilm;

    @BeforeAll
    static void loadModel() {
        minilm = new MiniLmEncoder(D, 42L, MiniLmEncoder.FULL);
    }

    @Test
    void ngramEncoderSeparatesParaphrasesFromUnrelated() {
        NgramEncoder enc = new NgramEncoder(D, 3, 42L);
        double margin = report("ngram", enc);
        assertThat(enc.encode("the cat sat on the mat").hamming(enc.encode("a cat sat on the mat")))
                .as("near-identical sentences").isLessThan(D / 5);
        assertThat(margin).isGreaterThan(0.15);
    }

    @Test
    void minilmEncoderSeparatesParaphrasesFromUnrelated() {
        double margin = report("minilm", minilm);
        assertThat(margin).isGreaterThan(0.10);
    }

    @Test
    void simhashHammingTracksEmbeddingAngle() {
        String[] texts = {
            "the cat sat on the mat", "a cat sat on the mat", "dogs are loyal animals",
            "how do I reset my password", "quarterly revenue exceeded projections", "I like green tea"
        };
        for (int i = 0; i < texts.length; i++) {
            for (int j = i + 1; j < texts.length; j++) {
                float[] a = minilm.embed(texts[i]), b = minilm.embed(texts[j]);
                double expected = Math.acos(Math.max(-1, Math.min(1, cosine(a, b)))) / Math.PI;
                double observed = (double) minilm.encode(texts[i]).hamming(minilm.encode(texts[j])) / D;
                // std of the estimate is sqrt(p(1-p)/D) <= 0.0039; allow 5 sigma.
                assertThat(Math.abs(observed - expected)).as("%s | %s", texts[i], texts[j]).isLessThan(0.02);
            }
        }
    }

    @Test
    void encodersAreDeterministicAndBatchEqualsSingle() {
        NgramEncoder a = new NgramEncoder(D, 3, 42L), b = new NgramEncoder(D, 3, 42L);
        assertThat(a.encode("Hello  World")).isEqualTo(b.encode("hello world"));
        assertThat(a.encode("")).isEqualTo(b.encode("   "));
        List<String> texts = List.of("one memory", "another memory", "x");
        assertThat(a.encodeBatch(texts)).containsExactly(a.encode("one memory"), a.encode("another memory"), a.encode("x"));
        assertThat(minilm.encodeBatch(texts)).containsExactly(
                minilm.encode("one memory"), minilm.encode("another memory"), minilm.encode("x"));
        assertThat(new NgramEncoder(D, 3, 43L).encode("hello")).isNotEqualTo(a.encode("hello"));
    }

    @Test
    void contextBindingIsXorWithTheContextVector() {
        NgramEncoder enc = new NgramEncoder(D, 3, 42L);
        Hdv content = enc.encode("buy milk");
        Hdv inKitchen = enc.encode("buy milk", "kitchen");
        assertThat(inKitchen.bind(Hdv.fromId("context:kitchen", D))).isEqualTo(content);
        assertThat(enc.encode("buy milk", null)).isEqualTo(content);
        // Same text, other context: unrelated.
        assertThat(Math.abs(inKitchen.hamming(enc.encode("buy milk", "office")) - D / 2.0)).isLessThan(5 * Math.sqrt(D) / 2);
    }

    private static double report(String name, TextEncoder enc) {
        double para = 0, unrel = 0, worstPara = 0, bestUnrel = 1;
        for (String[] p : PARAPHRASES) {
            double d = (double) enc.encode(p[0]).hamming(enc.encode(p[1])) / D;
            para += d;
            worstPara = Math.max(worstPara, d);
        }
        for (String[] u : UNRELATED) {
            double d = (double) enc.encode(u[0]).hamming(enc.encode(u[1])) / D;
            unrel += d;
            bestUnrel = Math.min(bestUnrel, d);
        }
        para /= PARAPHRASES.size();
        unrel /= UNRELATED.size();
        System.out.printf("%s: paraphrase mean %.3f (worst %.3f), unrelated mean %.3f (closest %.3f), margin %.3f%n",
                name, para, worstPara, unrel, bestUnrel, bestUnrel - worstPara);
        return bestUnrel - worstPara;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
