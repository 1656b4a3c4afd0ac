package io.mnemocore.hdv.encode;

import io.mnemocore.hdv.Hdv;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The query path's confidence threshold, calibrated for a text encoder.
 *
 * <p>The blueprint's cut (500 bits at D = 16,384) is one for near-duplicate vectors: a text
 * question lands thousands of bits from the memory it asks about with either encoder, so every
 * text reply would be "low confidence" and ask WARM. A calibrated threshold is instead derived
 * from what "unrelated" looks like for the encoder in use: the distances from questions to
 * memories they are not about are fitted with a normal distribution, and the threshold is put
 * where the best of {@code memories} unrelated memories falls below it with probability at most
 * {@code falseRate}. A best hit under it is then very unlikely to be a chance match, however many
 * memories HOT holds. The related pairs (each question to its own memory) only measure how many
 * real questions the threshold then calls confident; they do not move it.
 *
 * <p>The normal fit is an approximation of the far tail; the summary also counts the unrelated
 * pairs of the sample that fall under the threshold, as a check.
 */
public final class ConfidenceCalibration {
    /** The built-in pairs, a resource next to this class. */
    public static final String BUILT_IN = "calibration-pairs.tsv";
    static final int MIN_PAIRS = 5;

    /** A question an agent asks and the memory it is looking for. */
    public static final class Pair {
        public final String question;
        public final String memory;

        public Pair(String question, String memory) {
            this.question = question;
            this.memory = memory;
        }
    }

    public final String encoder;
    public final int dim;
    public final String source;
    public final double falseRate;
    public final long memories;
    /** Each question to its own memory, ascending. */
    public final int[] related;
    /** Each question to every other pair's memory, ascending. */
    public final int[] unrelated;
    public final double unrelatedMean;
    public final double unrelatedSd;
    /** Standard deviations below the unrelated mean: the per-memory tail that keeps the best of {@link #memories} under {@link #falseRate}. */
    public final double z;
    /** A reply is confident when its best hit is closer than this (strictly). */
    public final int threshold;
    /** The highest threshold the configuration accepts: 6 sigma of chance below D/2. */
    public final int chanceBound;

    private ConfidenceCalibration(String encoder, int dim, String source, double falseRate, long memories,
                                  int[] related, int[] unrelated) {
        this.encoder = encoder;
        this.dim = dim;
        this.source = source;
        this.falseRate = falseRate;
        this.memories = memories;
        this.related = related;
        this.unrelated = unrelated;
        double sum = 0;
        for (int d : unrelated) {
            sum += d;
        }
        this.unrelatedMean = sum / unrelated.length;
        double sq = 0;
        for (int d : unrelated) {
            sq += (d - unrelatedMean) * (d - unrelatedMean);
        }
        this.unrelatedSd = Math.sqrt(sq / (unrelated.length - 1));
        this.z = upperTailZ(perMemoryRate(falseRate, memories));
        this.chanceBound = chanceBound(dim);
        this.threshold = threshold(unrelatedMean, unrelatedSd, z, dim);
    }

    /** Calibrates {@code enc} on {@code pairs}; {@code source} names them in the summary. */
    public static ConfidenceCalibration calibrate(TextEncoder enc, List<Pair> pairs, String source, double falseRate, long memories) {
        if (pairs.size() < MIN_PAIRS) {
            throw new IllegalArgumentException("confidence calibration needs at least " + MIN_PAIRS
                    + " question/memory pairs, got " + pairs.size() + " from " + source);
        }
        if (!(falseRate > 0 && falseRate < 1)) {
            throw new IllegalArgumentException("the false-confidence rate must be in (0, 1), got " + falseRate);
        }
        if (memories < 1) {
            throw new IllegalArgumentException("the number of memories must be positive, got " + memories);
        }
        List<String> questions = new ArrayList<>(pairs.size());
        List<String> texts = new ArrayList<>(pairs.size());
        for (Pair p : pairs) {
            questions.add(p.question);
            texts.add(p.memory);
        }
        List<Hdv> q = enc.encodeBatch(questions);
        List<Hdv> m = enc.encodeBatch(texts);
        int n = pairs.size();
        int[] related = new int[n];
        int[] unrelated = new int[n * (n - 1)];
        int u = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int d = q.get(i).hamming(m.get(j));
                if (i == j) {
                    related[i] = d;
                } else {
                    unrelated[u++] = d;
                }
            }
        }
        Arrays.sort(related);
        Arrays.sort(unrelated);
        return new ConfidenceCalibration(enc.name(), enc.dim(), source, falseRate, memories, related, unrelated);
    }

    /** The built-in pairs (49 questions about everyday agent memories, written for this project). */
    public static List<Pair> builtInPairs() {
        try (InputStream in = ConfidenceCalibration.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("resource " + BUILT_IN + " is missing from the classpath");
            }
            return parse(new InputStreamReader(in, StandardCharsets.UTF_8), BUILT_IN);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Pairs from a file: one {@code question<TAB>memory} a line; # comments and blank lines skipped. */
    public static List<Pair> readPairs(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r, file.toString());
        }
    }

    static List<Pair> parse(Reader reader, String source) throws IOException {
        List<Pair> out = new ArrayList<>();
        BufferedReader r = new BufferedReader(reader);
        String line;
        int no = 0;
        while ((line = r.readLine()) != null) {
            no++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length != 2 || f[0].isBlank() || f[1].isBlank()) {
                throw new IllegalArgumentException(source + ":" + no + ": expected 'question<TAB>memory' (two non-empty fields), got "
                        + f.length + " field(s)");
            }
            out.add(new Pair(f[0].strip(), f[1].strip()));
        }
        return out;
    }

    /** The per-memory rate p with 1 - (1 - p)^memories = falseRate. */
    static double perMemoryRate(double falseRate, long memories) {
        return -Math.expm1(Math.log1p(-falseRate) / memories);
    }

    static int chanceBound(int dim) {
        return (int) (dim / 2.0 - 3.0 * Math.sqrt(dim));
    }

    static int threshold(double mean, double sd, double z, int dim) {
        double t = Math.floor(mean - z * sd);
        return (int) Math.max(0, Math.min(chanceBound(dim), t));
    }

    /** z with P(Z > z) = p for a standard normal Z, by bisection on the tail. */
    static double upperTailZ(double p) {
        if (!(p > 0 && p < 1)) {
            throw new IllegalArgumentException("tail probability must be in (0, 1), got " + p);
        }
        double lo = -40, hi = 40;
        for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
            double mid = (lo + hi) / 2;
            if (upperTail(mid) > p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** P(Z > z) = erfc(z / sqrt 2) / 2. */
    static double upperTail(double z) {
        return 0.5 * erfc(z / Math.sqrt(2));
    }

    /** Complementary error function, Chebyshev fit (fractional error under 1.2e-7 everywhere). */
    static double erfc(double x) {
        double a = Math.abs(x);
        double t = 1 / (1 + 0.5 * a);
        double r = t * Math.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /** Related pairs closer than {@code t}: the questions a threshold of {@code t} answers confidently. */
    public int relatedBelow(int t) {
        return below(related, t);
    }

    /** Unrelated pairs of the sample closer than {@code t}. */
    public int unrelatedBelow(int t) {
        return below(unrelated, t);
    }

    private static int below(int[] sorted, int t) {
        int i = Arrays.binarySearch(sorted, t);
        if (i < 0) {
            return -i - 1;
        }
        while (i > 0 && sorted[i - 1] == t) {
            i--;
        }
        return i;
    }

    /** The {@code q} quantile (0..1) of sorted values, nearest rank. */
    static int quantile(int[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(q * sorted.length) - 1))];
    }

    /** Human-readable lines; {@code uncalibrated} is the configured threshold, for comparison. */
    public String summary(int uncalibrated) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "encoder %s (D=%d), %d question/memory pairs from %s, %d unrelated pairs%n",
                encoder, dim, related.length, source, unrelated.length));
        b.append(String.format(Locale.ROOT, "questions to their own memory: min %d, median %d, p95 %d, max %d bits%n",
                related[0], quantile(related, 0.5), quantile(related, 0.95), related[related.length - 1]));
        b.append(String.format(Locale.ROOT, "questions to other memories:   min %d, mean %.0f, sd %.0f bits (D/2 = %d)%n",
                unrelated[0], unrelatedMean, unrelatedSd, dim / 2));
        b.append(String.format(Locale.ROOT, "calibrated threshold: %d bits, %.2f sd below that mean: the best of %,d unrelated memories"
                        + " falls under it with probability %s (normal fit)%s%n",
                threshold, z, memories, falseRate, threshold == chanceBound ? "; capped at the chance bound D/2 - 6 sigma" : ""));
        b.append(String.format(Locale.ROOT, "  confident for %d of %d questions (%.0f%%); unrelated pairs of the sample under it: %d of %d%n",
                relatedBelow(threshold), related.length, 100.0 * relatedBelow(threshold) / related.length,
                unrelatedBelow(threshold), unrelated.length));
        b.append(String.format(Locale.ROOT, "without calibration (haim.search.confidence_threshold_bits; 0 = the blueprint's cut): %d bits,"
                + " confident for %d of %d questions%n", uncalibrated, relatedBelow(uncalibrated), related.length));
        return b.toString();
    }

    /** One JSON object with the figures of {@link #summary}. */
    public String toJson(int uncalibrated) {
        return String.format(Locale.ROOT, "{\"encoder\":\"%s\",\"dim\":%d,\"pairs\":%d,\"unrelated_pairs\":%d,\"related_median\":%d,"
                        + "\"related_max\":%d,\"unrelated_min\":%d,\"unrelated_mean\":%.1f,\"unrelated_sd\":%.1f,\"false_rate\":%s,"
                        + "\"memories\":%d,\"z\":%.3f,\"threshold_bits\":%d,\"confident_questions\":%d,\"unrelated_under_threshold\":%d,"
                        + "\"uncalibrated_bits\":%d,\"uncalibrated_confident_questions\":%d}",
                encoder, dim, related.length, unrelated.length, quantile(related, 0.5), related[related.length - 1], unrelated[0],
                unrelatedMean, unrelatedSd, falseRate, memories, z, threshold, relatedBelow(threshold), unrelatedBelow(threshold),
                uncalibrated, relatedBelow(uncalibrated));
    }
}
