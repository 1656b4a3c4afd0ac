package io.mnemocore.hdv.bench;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.encode.MiniLmEncoder;
import io.mnemocore.hdv.encode.TextEncoder;
import io.mnemocore.hdv.encode.TextEncoders;
import java.util.ArrayList;
import java.util.List;

/** {@code mnemocore bench encode}: texts per second of an encoder; the last line is JSON. */
public final class EncodeBench {
    private static final String[] WORDS = (
            "the a agent memory user asked about project deadline meeting report budget review team "
            + "kitchen garden weather sunny rain tomorrow yesterday coffee order invoice customer "
            + "password reset server deploy failed build test release notes travel flight hotel "
            + "booked cancelled reminder call doctor appointment schedule moved friday monday "
            + "prefers dark mode language python java likes tea dislikes noise quiet office").split(" ");

    public static void main(String[] argv) {
        Args a = Args.of(argv);
        String encoderName = a.opt("--encoder", "ngram");
        int n = a.intOpt("--texts", 1000);
        int dim = a.intOpt("--dim", 16384);
        int batch = a.intOpt("--batch", 32);
        int wordsPerText = a.intOpt("--words", 12);
        String variant = a.opt("--variant", MiniLmEncoder.FULL);
        a.done("--encoder ngram|minilm, --texts N, --dim D, --batch B, --words W, --variant V");
        TextEncoder enc = TextEncoders.create(encoderName, dim, 42L, 3, variant);

        List<String> texts = sentences(n, wordsPerText, 7);
        // Warm-up (JIT, ONNX session) on a separate set of texts.
        enc.encodeBatch(sentences(Math.min(64, n), wordsPerText, 8));
        long t0 = System.nanoTime();
        long checksum = 0;
        for (int i = 0; i < n; i += batch) {
            for (Hdv h : enc.encodeBatch(texts.subList(i, Math.min(n, i + batch)))) {
                checksum += h.popcount();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.err.printf("encoded %d texts (%d words each), mean popcount %.1f%n", n, wordsPerText, (double) checksum / n);
        System.out.println("{\"encoder\":\"" + encoderName + "\""
                + (encoderName.equals("minilm") ? ",\"variant\":\"" + variant + "\"" : "")
                + ",\"dim\":" + dim + ",\"texts\":" + n + ",\"batch\":" + batch
                + ",\"seconds\":" + Stats.fmt(seconds) + ",\"texts_per_s\":" + Stats.fmt(n / seconds) + "}");
    }

    static List<String> sentences(int n, int words, long seed) {
        SplitMix64 rnd = new SplitMix64(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < words; w++) {
                if (w > 0) {
                    sb.append(' ');
                }
                sb.append(WORDS[(int) Long.remainderUnsigned(rnd.nextLong(), WORDS.length)]);
            }
            out.add(sb.toString());
        }
        return out;
    }
}
