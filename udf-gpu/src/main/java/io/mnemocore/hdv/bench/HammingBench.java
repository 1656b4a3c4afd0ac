package io.mnemocore.hdv.bench;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import io.mnemocore.hdv.kernel.CudaKernel;
import io.mnemocore.hdv.kernel.HammingKernel;
import io.mnemocore.hdv.kernel.HammingKernels;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.ReferenceKernel;
import io.mnemocore.hdv.kernel.TopK;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code mnemocore bench hamming}: times a kernel's exact top-k and, in the same run, a plain
 * sequential read of the same matrix (the memory-bandwidth limit the scan is compared with).
 * The last line printed is one JSON object.
 */
public final class HammingBench {
    public static void main(String[] argv) throws Exception {
        Args a = Args.of(argv);
        int dim = a.intOpt("--dim", 16384);
        int k = a.intOpt("--k", 10);
        int threads = a.intOpt("--threads", 1);
        String kernelName = a.opt("--kernel", "cpu");
        int batch = a.intOpt("--batch", 1);
        int repeat = a.intOpt("--repeat", 1);
        long seed = a.longOpt("--seed", 42);
        Path data = a.pathOpt("--data", null);
        int rows = a.intOpt("--n", data != null ? Integer.MAX_VALUE : 100_000);
        Path queriesFile = a.pathOpt("--queries-file", null);
        int queryCount = a.intOpt("--queries", 100);
        boolean verify = a.flag("--verify");
        Path outFile = a.pathOpt("--out", null);
        a.done("--n N, --dim D, --queries Q, --k K, --threads T, --kernel cpu|reference|cuda, --batch B, --repeat R, --seed S,"
                + " --data FILE, --queries-file FILE, --out FILE, --verify");
        Hdv.checkDim(dim);
        HdvMatrix m = data != null ? load(data, dim, rows) : generate(rows, dim, seed);
        int n = m.rows();
        long[][] queries;
        if (queriesFile != null) {
            HdvMatrix q = load(queriesFile, dim, Integer.MAX_VALUE);
            queries = new long[q.rows()][];
            for (int i = 0; i < q.rows(); i++) {
                queries[i] = q.row(i);
            }
        } else {
            queries = flippedQueries(m, queryCount, 0.10, seed + 1);
        }
        int nq = queries.length;
        if (batch < 1 || nq == 0) {
            throw new IllegalArgumentException("--batch must be >= 1 and there must be queries");
        }
        System.err.printf("matrix: %d rows x %d bits (%.1f MB), %d queries, k=%d, kernel=%s, threads=%d, batch=%d%n",
                n, dim, m.bytes() / 1e6, nq, k, kernelName, threads, batch);

        double bwGbs;
        String limitSource = "host sequential read";
        double peakGbs = -1;
        TopK[] results = new TopK[nq];
        List<Double> perQueryMs = new ArrayList<>();
        long totalNanos = 0;
        try (HammingKernel kernel = HammingKernels.create(kernelName, threads)) {
            // Warm-up so the JIT has compiled the scan before anything is timed.
            long warmUntil = System.nanoTime() + 2_000_000_000L;
            int w = 0;
            do {
                run(kernel, m, queries, w % nq, Math.min(batch, nq - w % nq), k, results);
                w += batch;
            } while (System.nanoTime() < warmUntil && w < 3 * nq);

            if (kernel instanceof CudaKernel cuda) {
                bwGbs = cuda.deviceBandwidthGbs(m.bytes());
                limitSource = "device-to-device copy";
                peakGbs = cuda.devicePeakBandwidthGbs();
            } else {
                bwGbs = bandwidthLimitGbs(m, threads);
            }
            for (int rep = 0; rep < repeat; rep++) {
                for (int start = 0; start < nq; start += batch) {
                    int len = Math.min(batch, nq - start);
                    long t0 = System.nanoTime();
                    run(kernel, m, queries, start, len, k, results);
                    long dt = System.nanoTime() - t0;
                    totalNanos += dt;
                    for (int i = 0; i < len; i++) {
                        perQueryMs.add(dt / 1e6 / len);
                    }
                }
            }
        }

        int mismatches = -1;
        if (verify) {
            mismatches = 0;
            ReferenceKernel ref = new ReferenceKernel();
            for (int q = 0; q < nq; q++) {
                if (!ref.topK(m, queries[q], k).equals(results[q])) {
                    mismatches++;
                }
            }
        }
        if (outFile != null) {
            try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(outFile, StandardCharsets.UTF_8))) {
                for (TopK r : results) {
                    out.println(r.format());
                }
            }
        }

        double[] samples = perQueryMs.stream().mapToDouble(Double::doubleValue).toArray();
        double p50 = Stats.percentile(samples, 50);
        double p99 = Stats.percentile(samples, 99);
        double totalQueries = (double) nq * repeat;
        double scanGbs = m.bytes() * totalQueries / (totalNanos / 1e9) / 1e9;
        double limitMs = m.bytes() / (bwGbs * 1e9) * 1e3;
        StringBuilder json = new StringBuilder("{");
        json.append("\"kernel\":\"").append(kernelName).append('"')
                .append(",\"n\":").append(n)
                .append(",\"dim\":").append(dim)
                .append(",\"queries\":").append(nq)
                .append(",\"k\":").append(k)
                .append(",\"threads\":").append(threads)
                .append(",\"batch\":").append(batch)
                .append(",\"ms_per_query_p50\":").append(Stats.fmt(p50))
                .append(",\"ms_per_query_p99\":").append(Stats.fmt(p99))
                .append(",\"queries_per_s\":").append(Stats.fmt(totalQueries / (totalNanos / 1e9)))
                .append(",\"scan_gb_per_s\":").append(Stats.fmt(scanGbs))
                .append(",\"bandwidth_limit_source\":\"").append(limitSource).append('"')
                .append(",\"bandwidth_limit_gb_per_s\":").append(Stats.fmt(bwGbs))
                .append(",\"bandwidth_limit_ms\":").append(Stats.fmt(limitMs))
                .append(",\"p50_over_limit\":").append(Stats.fmt(p50 / limitMs));
        if (peakGbs > 0) {
            json.append(",\"device_peak_gb_per_s\":").append(Stats.fmt(peakGbs));
        }
        if (mismatches >= 0) {
            json.append(",\"mismatches_vs_reference\":").append(mismatches);
        }
        json.append('}');
        System.out.println(json);
    }

    private static void run(HammingKernel kernel, HdvMatrix m, long[][] queries, int start, int len, int k, TopK[] out) {
        if (len == 1) {
            out[start] = kernel.topK(m, queries[start], k);
        } else {
            long[][] qs = new long[len][];
            System.arraycopy(queries, start, qs, 0, len);
            TopK[] r = kernel.topKBatch(m, qs, k);
            System.arraycopy(r, 0, out, start, len);
        }
    }

    /** Best of several plain sequential reads of the whole matrix, split over the same threads. */
    public static double bandwidthLimitGbs(HdvMatrix m, int threads) throws Exception {
        long[] d = m.data();
        int total = m.rows() * m.wordsPerRow();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long best = Long.MAX_VALUE;
            long sink = 0;
            for (int rep = 0; rep < 12; rep++) {
                long t0 = System.nanoTime();
                List<Future<Long>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int from = (int) ((long) total * t / threads);
                    int to = (int) ((long) total * (t + 1) / threads);
                    fs.add(pool.submit(() -> sum(d, from, to)));
                }
                for (Future<Long> f : fs) {
                    sink += f.get();
                }
                best = Math.min(best, System.nanoTime() - t0);
            }
            if (sink == 42) {
                System.err.print("");
            }
            return m.bytes() / (best / 1e9) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long sum(long[] a, int from, int to) {
        long s = 0;
        for (int i = from; i < to; i++) {
            s += a[i];
        }
        return s;
    }

    public static HdvMatrix generate(int n, int dim, long seed) {
        int words = dim / 64;
        long[] data = new long[Math.multiplyExact(n, words)];
        SplitMix64 rnd = new SplitMix64(seed);
        for (int i = 0; i < data.length; i++) {
            data[i] = rnd.nextLong();
        }
        return HdvMatrix.wrap(dim, data, n);
    }

    /** Queries are copies of random rows with {@code fraction} of their bits flipped. */
    public static long[][] flippedQueries(HdvMatrix m, int count, double fraction, long seed) {
        SplitMix64 rnd = new SplitMix64(seed);
        int dim = m.dim();
        int flips = (int) Math.round(dim * fraction);
        long[][] qs = new long[count][];
        int[] perm = new int[dim];
        for (int q = 0; q < count; q++) {
            long[] row = m.row((int) Long.remainderUnsigned(rnd.nextLong(), m.rows()));
            for (int i = 0; i < dim; i++) {
                perm[i] = i;
            }
            for (int i = 0; i < flips; i++) { // partial Fisher-Yates: distinct positions
                int j = i + (int) Long.remainderUnsigned(rnd.nextLong(), dim - i);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
                row[perm[i] >>> 6] ^= 1L << (perm[i] & 63);
            }
            qs[q] = row;
        }
        return qs;
    }

    /** Raw rows of D/8 bytes in numpy packbits order, as {@code np.packbits(bits, axis=1).tofile(f)}. */
    public static HdvMatrix load(Path file, int dim, int maxRows) throws IOException {
        int rowBytes = dim / 8;
        long size = Files.size(file);
        if (size % rowBytes != 0) {
            throw new IllegalArgumentException(file + " has " + size + " bytes, not a multiple of the row size "
                    + rowBytes + " (D=" + dim + ")");
        }
        int rows = (int) Math.min(maxRows, size / rowBytes);
        int words = dim / 64;
        long[] data = new long[Math.multiplyExact(rows, words)];
        byte[] buf = new byte[rowBytes * 1024];
        try (var in = Files.newInputStream(file)) {
            int done = 0;
            while (done < rows) {
                int chunk = Math.min(1024, rows - done);
                int need = chunk * rowBytes;
                int got = in.readNBytes(buf, 0, need);
                if (got != need) {
                    throw new IOException("short read from " + file);
                }
                Hdv.unpackWords(buf, 0, data, done * words, chunk * words);
                done += chunk;
            }
        }
        return HdvMatrix.wrap(dim, data, rows);
    }
}
