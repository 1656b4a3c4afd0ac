package io.mnemocore.jobs;

import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.redis.RedisStreams;
import io.mnemocore.operators.tier.ArchiveReader;
import io.mnemocore.operators.tier.ArchivedMemory;
import io.mnemocore.operators.tier.ColdArchive;
import io.mnemocore.operators.tier.Rehydrator;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code ./mnemocore rehydrate [--tenant T] [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--work-dir DIR] [--dry-run]}: reads the COLD
 * archive (verifying every row's checksum, honouring tombstones, newest version per memory) and
 * sends each memory to the running job as a {@code memory.restore} event (origin "batch"). The job
 * restores it to WARM or HOT with its LTP facts, counting the rehydration as one access; memories
 * it already holds live, or holds COLD under a newer archive, are left as they are.
 */
public final class Rehydrate {
    private Rehydrate() {}

    public static void main(String[] args) throws Exception {
        CommandLine p = CommandLine.of(args);
        String tenant = p.opt("--tenant");
        String from = p.opt("--from");
        String to = p.opt("--to");
        boolean dryRun = p.flag("--dry-run");
        String workDir = p.opt("--work-dir");
        p.done("--tenant T, --from yyyy-MM-dd, --to yyyy-MM-dd, --dry-run, --work-dir DIR");
        for (String d : new String[] {from, to}) {
            if (d != null && !d.matches("\\d{4}-\\d{2}-\\d{2}")) {
                throw new IllegalArgumentException("dates are yyyy-MM-dd (the archive's UTC day), got '" + d + "'");
            }
        }
        // Relative archive paths are the embedded run's (./mnemocore run; the demo's: --work-dir .mnemocore/demo).
        JobSettings s = new JobSettings(p.config(), java.nio.file.Path.of(workDir != null ? workDir : ".mnemocore/run"));
        s.initializeFileSystems();
        String base = s.coldBase();
        ArchiveReader reader = new ArchiveReader(base, s.config.dimensionality());
        List<String> tenants = tenant != null ? List.of(tenant) : tenants(base);
        PrintStream err = System.err;
        long sent = 0;
        long failed = 0;
        try (JedisPooled redis = new JedisPooled(java.net.URI.create(s.config.getString("haim.redis.url")))) {
            for (String t : tenants) {
                List<String> errors = new ArrayList<>();
                err.println("reading the archive of tenant " + t + " under " + base + " ...");
                List<ArchivedMemory> all = reader.scan(t, from, to, errors::add);
                errors.forEach(e -> err.println("  skipped: " + e));
                failed += errors.size();
                Progress bar = new Progress(err, "tenant " + t, all.size());
                long now = System.currentTimeMillis();
                for (int i = 0; i < all.size(); i += 500) {
                    List<ArchivedMemory> chunk = all.subList(i, Math.min(all.size(), i + 500));
                    if (!dryRun) {
                        send(redis, s, chunk, now);
                    }
                    sent += chunk.size();
                    bar.update(i + chunk.size());
                }
                bar.done();
            }
        }
        System.out.println((dryRun ? "would restore " : "sent ") + sent + " memories for rehydration to " + s.streamKey()
                + (failed > 0 ? "; " + failed + " archive rows skipped as corrupt or missing (listed above)" : ""));
        if (failed > 0) {
            System.exit(1);
        }
    }

    /** Sends archived memories to the job's event stream as memory.restore (origin "batch"), in one pipeline. */
    static void send(JedisPooled redis, JobSettings s, List<ArchivedMemory> memories, long at) {
        byte[] stream = s.streamKey().getBytes(StandardCharsets.UTF_8);
        try (Pipeline pl = redis.pipelined()) { // closing returns its connection to the pool
            for (ArchivedMemory m : memories) {
                MemoryEvent e = Rehydrator.restoreEvent(m, "batch", at);
                pl.xadd(stream, XAddParams.xAddParams(), Map.of(RedisStreams.DATA, s.codec.encode(e)));
            }
            pl.sync();
        }
    }

    /** Tenants that have an archive directory (names decoded from the %XX form). */
    static List<String> tenants(String base) throws java.io.IOException {
        Path root = new Path(base);
        FileSystem fs = root.getFileSystem();
        List<String> out = new ArrayList<>();
        if (!fs.exists(root)) {
            return out;
        }
        for (FileStatus st : fs.listStatus(root)) {
            String n = st.getPath().getName();
            if (st.isDir() && !n.startsWith(".") && !n.startsWith("_")) {
                String t = URLDecoder.decode(n, StandardCharsets.UTF_8);
                if (ColdArchive.tenantDir(t).equals(n)) {
                    out.add(t);
                }
            }
        }
        out.sort(String::compareTo);
        return out;
    }

    /** A one-line progress bar on a terminal (plain lines every 10% otherwise). */
    static final class Progress {
        private final PrintStream out;
        private final String what;
        private final long total;
        private final long start = System.nanoTime();
        private final boolean tty = System.console() != null;
        private int lastDecile = -1;

        Progress(PrintStream out, String what, long total) {
            this.out = out;
            this.what = what;
            this.total = total;
        }

        void update(long done) {
            double f = total == 0 ? 1 : (double) done / total;
            double secs = (System.nanoTime() - start) / 1e9;
            String rate = String.format("%.0f/s", done / Math.max(secs, 1e-3));
            if (tty) {
                int w = 30;
                int filled = (int) Math.round(f * w);
                out.print("\r" + what + " [" + "#".repeat(filled) + " ".repeat(w - filled) + "] " + done + "/" + total + " " + rate);
                out.flush();
            } else if ((int) (f * 10) > lastDecile) {
                lastDecile = (int) (f * 10);
                out.println(what + ": " + done + "/" + total + " (" + Math.round(f * 100) + "%) " + rate);
            }
        }

        void done() {
            update(total);
            if (tty) {
                out.println();
            }
        }
    }
}
