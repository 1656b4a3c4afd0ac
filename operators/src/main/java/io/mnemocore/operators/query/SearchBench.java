package io.mnemocore.operators.query;

import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.bench.Args;
import io.mnemocore.hdv.bench.ClusteredData;
import io.mnemocore.hdv.bench.HammingBench;
import io.mnemocore.hdv.bench.Stats;
import io.mnemocore.hdv.kernel.FastCpuKernel;
import io.mnemocore.hdv.kernel.TopK;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./mnemocore bench search}: the HOT index's own search ({@link HotSegment}, one subtask's
 * rows of one tenant) in process, without Flink or Redis: the exact scan and the two-stage search
 * at each sketch size, over the same rows and queries in one run, each with its recall@k against
 * the exact scan. The configurations take turns in blocks of queries, so the machine's drift
 * reaches all of them alike; their ratio to the exact scan is the figure to compare. The data is
 * the query bench's ({@link ClusteredData}). The last line printed is one JSON object.
 */
public final class SearchBench {
    private SearchBench() {}

    /** One way of searching: exact (sketch bits 0) or two-stage with a sketch size. */
    private static final class Config {
        final int sketchBits;
        final HotSegment segment;
        final List<Double> ms = new ArrayList<>();
        long ranked;
        long widened;
        long found;
        long wanted;
        TopK[] results;

        Config(int sketchBits, HotSegment segment, int queries) {
            this.sketchBits = sketchBits;
            this.segment = segment;
            this.results = new TopK[queries];
        }

        String name() {
            return sketchBits == 0 ? "exact" : sketchBits + "-bit sketch";
        }
    }

    public static void main(String[] argv) throws Exception {
        Args a = Args.of(argv);
        int n = a.intOpt("--n", 50_000);
        int dim = a.intOpt("--dim", 16384);
        int nq = a.intOpt("--queries", 200);
        int k = a.intOpt("--k", 10);
        int oversample = a.intOpt("--oversample", 32);
        double margin = a.doubleOpt("--margin", 4);
        int queryBits = a.intOpt("--query-bits", 1000);
        int clusterSize = a.intOpt("--cluster-size", ClusteredData.PER_CLUSTER);
        int rounds = a.intOpt("--rounds", 5);
        int block = a.intOpt("--block", 20);
        long seed = a.longOpt("--seed", 3);
        String sketchList = a.opt("--sketch-bits", "128,256,512,1024");
        a.done("--n N, --dim D, --queries Q, --k K, --sketch-bits 128,256,..., --oversample O, --margin M, --query-bits B,"
                + " --cluster-size C, --rounds R, --block B, --seed S");
        List<Integer> sketchBits = new ArrayList<>();
        for (String b : sketchList.split(",")) {
            try {
                sketchBits.add(Integer.parseInt(b.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--sketch-bits expects integers separated by commas, got '" + b + "'");
            }
        }
        if (n < 1 || nq < 1 || k < 1 || rounds < 1 || block < 1) {
            throw new IllegalArgumentException("--n, --queries, --k, --rounds and --block must be positive");
        }

        SplitMix64 rnd = new SplitMix64(seed);
        ClusteredData data = ClusteredData.generate(n, dim, clusterSize, rnd);
        long[][] queries = new long[nq][];
        for (int i = 0; i < nq; i++) {
            queries[i] = data.query(queryBits, rnd);
        }
        // One segment per sketch size, filled alike: the same rows in the same order. The exact
        // scan ignores the sketch, so it runs on the first one.
        List<Config> configs = new ArrayList<>();
        for (int b : sketchBits) {
            configs.add(new Config(b, fill(data, dim, b), nq));
        }
        configs.add(0, new Config(0, configs.get(0).segment, nq));
        System.err.printf("%,d rows x %d bits (%.1f MB), %d per center, %d queries %d bits from a center, k=%d, oversample %d, margin %.1f sigma%n",
                n, dim, (double) n * dim / 8e6, clusterSize, nq, queryBits, k, oversample, margin);

        try (FastCpuKernel kernel = new FastCpuKernel(1)) {
            // Warm-up: every configuration's code compiled before anything is timed.
            long warmUntil = System.nanoTime() + 3_000_000_000L;
            for (int i = 0; System.nanoTime() < warmUntil; i++) {
                for (Config c : configs) {
                    search(c, kernel, queries[i % nq], k, oversample, margin);
                }
            }
            for (int round = 0; round < rounds; round++) {
                for (int from = 0; from < nq; from += block) {
                    int to = Math.min(nq, from + block);
                    for (Config c : configs) {
                        for (int q = from; q < to; q++) {
                            long t0 = System.nanoTime();
                            TopK r = search(c, kernel, queries[q], k, oversample, margin);
                            c.ms.add((System.nanoTime() - t0) / 1e6);
                            c.ranked += c.sketchBits == 0 ? n : c.segment.lastRanked();
                            c.widened += c.segment.lastWidened() ? 1 : 0;
                            c.results[q] = r;
                        }
                    }
                }
            }
        }

        Config exact = configs.get(0);
        double exactP50 = Stats.percentile(toArray(exact.ms), 50);
        StringBuilder json = new StringBuilder();
        json.append(String.format(Locale.ROOT, "{\"n\":%d,\"dim\":%d,\"k\":%d,\"queries\":%d,\"rounds\":%d,\"cluster_size\":%d,\"query_bits\":%d,"
                + "\"oversample\":%d,\"margin_sigmas\":%s,\"exact_ms_p50\":%s,\"sketches\":[",
                n, dim, k, nq, rounds, clusterSize, queryBits, oversample, Stats.fmt(margin), Stats.fmt(exactP50)));
        System.out.printf("%-16s %10s %12s %10s %10s %9s %14s %9s %10s%n", "search", "scan MB", "read limit", "ms p50", "ms p99",
                "x exact", "ranked exactly", "widened", "recall@" + k);
        for (Config c : configs) {
            for (int q = 0; q < nq; q++) {
                Set<Integer> got = new HashSet<>();
                for (int i = 0; i < c.results[q].size(); i++) {
                    got.add(c.results[q].row(i));
                }
                TopK want = exact.results[q];
                for (int i = 0; i < want.size(); i++) {
                    c.wanted++;
                    if (got.contains(want.row(i))) {
                        c.found++;
                    }
                }
            }
            double[] ms = toArray(c.ms);
            double p50 = Stats.percentile(ms, 50);
            double recall = (double) c.found / c.wanted;
            double rankedMean = (double) c.ranked / c.ms.size();
            // The scanned matrix and a plain sequential read of it: the floor for its scan.
            var scanned = c.sketchBits == 0 ? c.segment.full() : c.segment.sketches();
            double mb = scanned.bytes() / 1e6;
            double limitMs = scanned.bytes() / (HammingBench.bandwidthLimitGbs(scanned, 1) * 1e9) * 1e3;
            double widenedShare = (double) c.widened / c.ms.size();
            System.out.printf(Locale.ROOT, "%-16s %10.1f %9.3f ms %10.3f %10.3f %8.2fx %14.1f %8.1f%% %10.4f%n", c.name(), mb, limitMs,
                    p50, Stats.percentile(ms, 99), exactP50 / p50, rankedMean, 100 * widenedShare, recall);
            if (c.sketchBits != 0) {
                if (json.charAt(json.length() - 1) != '[') {
                    json.append(',');
                }
                json.append(String.format(Locale.ROOT, "{\"sketch_bits\":%d,\"ms_p50\":%s,\"ms_p99\":%s,\"read_limit_ms\":%s,"
                                + "\"speedup_vs_exact\":%s,\"ranked_mean\":%s,\"widened_share\":%s,\"recall_at_%d\":%s}", c.sketchBits,
                        Stats.fmt(p50), Stats.fmt(Stats.percentile(ms, 99)), Stats.fmt(limitMs), Stats.fmt(exactP50 / p50),
                        Stats.fmt(rankedMean), Stats.fmt(widenedShare), k, Stats.fmt(recall)));
            }
        }
        System.out.println(json.append("]}"));
    }

    private static TopK search(Config c, FastCpuKernel kernel, long[] q, int k, int oversample, double margin) {
        return c.segment.search(kernel, q, k, c.sketchBits != 0, oversample, margin);
    }

    private static HotSegment fill(ClusteredData data, int dim, int sketchBits) {
        if (sketchBits % 64 != 0 || sketchBits <= 0 || sketchBits > dim) {
            throw new IllegalArgumentException("--sketch-bits: each must be a positive multiple of 64 up to " + dim + ", got " + sketchBits);
        }
        HotSegment s = new HotSegment(dim, sketchBits);
        HotFacts f = new HotFacts();
        for (int r = 0; r < data.rows.rows(); r++) {
            HotMemory m = new HotMemory();
            m.hdv = data.rows.row(r);
            s.upsert("m" + r, m, f);
        }
        return s;
    }

    private static double[] toArray(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
