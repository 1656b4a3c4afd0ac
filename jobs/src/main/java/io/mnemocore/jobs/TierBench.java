package io.mnemocore.jobs;

import io.mnemocore.hdv.bench.Stats;
import io.mnemocore.operators.tier.ArchiveReader;
import io.mnemocore.operators.tier.ArchivedMemory;
import io.mnemocore.operators.tier.EmbeddedWarmStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import redis.clients.jedis.JedisPooled;

/**
 * {@code ./mnemocore bench tiers --memories N}: the tier stores on embedded defaults (embedded
 * WARM store, archive in a local directory). N memories are written HOT into Redis, then the job
 * starts on a fast LTP clock (a day every 0.25 s): each decays to WARM within ~0.1 s of LTP time
 * and is archived 7.5 s after its write. It prints the HOT→WARM and WARM→COLD transition rates
 * (from the transition log, first to last), the bytes per memory in the WARM store and in the
 * archive, the archive read rate (read + verify every row), and the end-to-end rehydration rate
 * (restore events through Redis until all N are WARM again). Last line: JSON.
 */
public final class TierBench {
    private TierBench() {}

    public static void main(String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        int n = o.intOpt("--memories", 20_000);
        boolean s3 = o.flag("--s3");
        o.done("--memories N, --s3");
        Path work = Files.createTempDirectory("mnemocore-tierbench-");
        AutoCloseable s3proxy = null;
        Path archiveDir = work.resolve("archive");
        String stream = "haim:tierbench:" + System.currentTimeMillis();
        List<String> sets = new ArrayList<>(List.of("haim.redis.stream_key=" + stream,
                "haim.redis.transitions_stream=" + stream + ":log", "haim.redis.dlq_stream=" + stream + ":dlq",
                "haim.redis.output_maxlen=10000000", "haim.tiers.hot.max_memories=10000000",
                "haim.tiers.warm.path=" + work.resolve("warm"), "haim.tiers.cold.path=" + work.resolve("archive"),
                "haim.ltp.time_scale=345600"));
        if (s3) {
            // S3Proxy in-process, found on the test classpath the launcher uses for --s3.
            Class<?> c = Class.forName("io.mnemocore.jobs.S3ProxyServer");
            s3proxy = (AutoCloseable) c.getMethod("start", Path.class, String.class).invoke(null, work.resolve("s3"), "archive");
            sets.addAll(List.of("haim.tiers.cold.storage_backend=s3", "haim.tiers.cold.path=s3a://archive/cold",
                    "haim.tiers.cold.s3_endpoint=" + c.getMethod("endpoint").invoke(s3proxy),
                    "haim.tiers.cold.s3_access_key=" + c.getField("ACCESS").get(null), "haim.tiers.cold.s3_secret_key=" + c.getField("SECRET").get(null)));
            archiveDir = work.resolve("s3/archive");
        }
        JobSettings s = new JobSettings(o.config(sets));
        int dim = s.config.dimensionality();
        s.initializeFileSystems(); // for this process's archive reads
        try (JedisPooled redis = s.redis.createClient();
             EmbeddedWarmStore warm = EmbeddedWarmStore.open(work.resolve("warm"), dim)) {
            IngestBench.fill(redis, s, stream, n);
            JobClient job = EmbeddedRunner.submit(s, EmbeddedRunner.flinkConfig(s, work, null, 2), 2, "mnemocore-bench-tiers");
            StatusBoard board = new StatusBoard(redis, s);
            final int total = n;
            try {
                long peakWarmBytes = 0;
                long warmCount = 0;
                Rate toWarm = new Rate();
                Rate toCold = new Rate();
                long deadline = System.currentTimeMillis() + 900_000;
                while (board.count("warm_to_cold") < total) {
                    board.poll();
                    toWarm.observe(board.count("hot_to_warm"));
                    toCold.observe(board.count("warm_to_cold"));
                    long c = warm.count("bench");
                    if (c >= warmCount) {
                        warmCount = c;
                        peakWarmBytes = warm.logBytes();
                    }
                    check(deadline, "archiving", board);
                    Thread.sleep(50);
                }
                ArchiveReader reader = new ArchiveReader(s.coldBase(), dim);
                while (reader.committedRows("bench") < total) { // committed at the next checkpoint
                    check(deadline, "archive commit", board);
                    Thread.sleep(200);
                }
                List<ArchivedMemory> archived;
                long archiveBytes;
                try (Stream<Path> files = Files.walk(archiveDir)) {
                    archiveBytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
                }
                double gzipArchive = gzipRatio(archiveDir);
                double gzipText = gzipRatioOfTextHdvs(s, 2000);
                // Archive read rate: read and verify every row again (scan does both).
                long r0 = System.nanoTime();
                List<String> errors = new ArrayList<>();
                archived = reader.scan("bench", null, null, errors::add);
                double readPerS = archived.size() / ((System.nanoTime() - r0) / 1e9);

                // Rehydration end to end: restore events through Redis until all are WARM again.
                long before = board.count("cold_to_warm") + board.count("cold_to_hot");
                long t0 = System.nanoTime();
                for (int i = 0; i < archived.size(); i += 1000) {
                    Rehydrate.send(redis, s, archived.subList(i, Math.min(archived.size(), i + 1000)), System.currentTimeMillis());
                }
                LongSupplier restored = () -> board.count("cold_to_warm") + board.count("cold_to_hot") - before;
                while (restored.getAsLong() < total) {
                    board.poll();
                    check(deadline, "rehydration", board);
                    Thread.sleep(20);
                }
                double restorePerS = total / ((System.nanoTime() - t0) / 1e9);
                System.out.println("hot->warm " + Stats.fmt(toWarm.perSecond()) + "/s, warm->cold " + Stats.fmt(toCold.perSecond())
                        + "/s; WARM store " + Stats.fmt((double) peakWarmBytes / Math.max(1, warmCount)) + " B/memory (log, "
                        + warmCount + " held at peak); archive " + Stats.fmt((double) archiveBytes / total) + " B/memory; archive read+verify "
                        + Stats.fmt(readPerS) + "/s; rehydration through the job " + Stats.fmt(restorePerS) + "/s; dlq " + board.dlq()
                        + "; gzip size/original: archive .npy " + Stats.fmt(gzipArchive) + ", n-gram text HDVs " + Stats.fmt(gzipText));
                System.out.println("{\"archive\":\"" + (s3proxy != null ? "s3a via S3Proxy" : "local directory") + "\",\"memories\":" + total + ",\"hot_to_warm_per_s\":" + Stats.fmt(toWarm.perSecond())
                        + ",\"warm_to_cold_per_s\":" + Stats.fmt(toCold.perSecond())
                        + ",\"warm_bytes_per_memory\":" + Stats.fmt((double) peakWarmBytes / Math.max(1, warmCount))
                        + ",\"cold_bytes_per_memory\":" + Stats.fmt((double) archiveBytes / total)
                        + ",\"archive_read_per_s\":" + Stats.fmt(readPerS)
                        + ",\"rehydrate_per_s\":" + Stats.fmt(restorePerS)
                        + ",\"archive_errors\":" + errors.size()
                        + ",\"gzip_ratio_archive_npy\":" + Stats.fmt(gzipArchive) + ",\"gzip_ratio_ngram_text_hdvs\":" + Stats.fmt(gzipText) + "}");
            } finally {
                EmbeddedRunner.cancelAndWait(job);
                redis.del(stream, stream + ":log", stream + ":dlq");
            }
        } finally {
            if (s3proxy != null) {
                s3proxy.close();
            }
            IngestBench.deleteTree(work);
        }
    }

    /** gzip's output size over its input, for every .npy under {@code dir} together. */
    static double gzipRatio(Path dir) throws java.io.IOException {
        long in = 0;
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
        try (Stream<Path> files = Files.walk(dir); java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(z)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".npy"))::iterator) {
                byte[] b = Files.readAllBytes(p);
                in += b.length;
                g.write(b);
            }
        }
        return (double) z.size() / Math.max(1, in);
    }

    /** The same for HDVs the n-gram encoder makes from similar short texts (not random vectors). */
    static double gzipRatioOfTextHdvs(JobSettings s, int n) throws java.io.IOException {
        io.mnemocore.hdv.encode.TextEncoder enc = new io.mnemocore.hdv.encode.EncoderSpec("ngram", s.config.dimensionality(),
                s.config.getLong("haim.encoder.seed"), s.config.getInt("haim.encoder.ngram_size"), "all-minilm-l6-v2").create();
        String[] topics = {"meeting notes", "grocery list", "flight to Lisbon", "doctor appointment", "birthday gift ideas"};
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            raw.writeBytes(io.mnemocore.hdv.Hdv.wrap(s.config.dimensionality(),
                    enc.encode("note " + i + ": " + topics[i % topics.length] + " for week " + (i / 7), "ctx-" + i % 4).words()).toPacked());
        }
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(z)) {
            raw.writeTo(g);
        }
        return (double) z.size() / raw.size();
    }

    /** WARM store and archive paths in a fresh temp directory, so a bench never touches .mnemocore/ (or a running demo's lock). */
    static List<String> scratchTiers() throws java.io.IOException {
        Path d = Files.createTempDirectory("mnemocore-bench-tiers-");
        return List.of("haim.tiers.warm.path=" + d.resolve("warm"), "haim.tiers.cold.path=" + d.resolve("archive"));
    }

    private static void check(long deadline, String phase, StatusBoard board) {
        if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("bench tiers timed out in " + phase + ": " + board.line(0));
        }
    }

    /** Transitions per second between the first and the last increase of a counter. */
    static final class Rate {
        private long first = -1;
        private long last;
        private long firstCount;
        private long lastCount;

        void observe(long count) {
            long now = System.nanoTime();
            if (count > 0 && first < 0) {
                first = now;
                firstCount = count;
            }
            if (count > lastCount) {
                lastCount = count;
                last = now;
            }
        }

        double perSecond() {
            return last > first ? (lastCount - firstCount) / ((last - first) / 1e9) : Double.NaN;
        }
    }
}
