package io.mnemocore.operators.tier;

import io.mnemocore.hdv.Hdv;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Reads memories back from the COLD archive through Flink's file systems (file://, s3a://), and
 * verifies each one: the sidecar row must name the memory asked for, and the vector bytes must
 * match the row's SHA-256. Anything else is an {@link ArchiveException}, never a wrong vector.
 */
public final class ArchiveReader {
    private final Path base;
    private final int dim;
    /**
     * Recently opened batches (sidecar parsed, header checked). Committed batches never change, so
     * a burst of reactivations from one batch reads its sidecar once.
     */
    private final Map<String, Batch> recent = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Batch> e) {
            return size() > 8;
        }
    };

    public ArchiveReader(String base, int dim) {
        this.base = new Path(base);
        this.dim = dim;
    }

    private Batch batch(String bucket) throws IOException {
        synchronized (recent) {
            Batch b = recent.get(bucket);
            if (b != null) {
                return b;
            }
        }
        Batch b = Batch.open(new Path(base, bucket), dim); // a missing batch is not cached: it may be committed soon
        synchronized (recent) {
            recent.put(bucket, b);
        }
        return b;
    }

    /** One memory, by its location; {@link ArchiveException} if missing or not matching. */
    public ArchivedMemory read(String tenant, String memoryId, String location) throws IOException {
        ColdArchive.Location loc;
        try {
            loc = ColdArchive.Location.parse(location);
        } catch (IllegalArgumentException e) {
            throw new ArchiveException(ArchiveException.CORRUPT, e.getMessage());
        }
        Batch b = batch(loc.bucket(tenant));
        Map<String, Object> row = b.rows.size() > loc.row ? b.rows.get(loc.row) : null;
        if (row == null || !tenant.equals(row.get("tenant")) || !memoryId.equals(row.get("memory_id"))) {
            throw new ArchiveException(ArchiveException.CORRUPT, "archive " + b.dir + " row " + loc.row + " is not "
                    + tenant + "/" + memoryId + (row == null ? " (no such row)" : " but " + row.get("tenant") + "/" + row.get("memory_id")));
        }
        return b.memory(loc.row, location);
    }

    /**
     * Every archived memory of a tenant whose archive date is in [fromDate, toDate] (yyyy-MM-dd,
     * either may be null), newest version per memory_id, leaving out memories tombstoned after
     * they were archived. Corrupt rows go to {@code onError} and are skipped.
     */
    public List<ArchivedMemory> scan(String tenant, String fromDate, String toDate, Consumer<String> onError) throws IOException {
        Path tenantDir = new Path(base, ColdArchive.tenantDir(tenant));
        FileSystem fs = tenantDir.getFileSystem();
        Map<String, Long> deleted = tombstones(fs, new Path(tenantDir, ColdArchive.TOMBSTONES));
        Map<String, ArchivedMemory> newest = new HashMap<>();
        for (Path dir : batchDirs(fs, tenantDir, fromDate, toDate)) {
            String prefix = dir.getParent().getName() + "/" + dir.getName() + "/";
            Batch b;
            byte[] all;
            try {
                b = Batch.open(dir, dim);
                all = b.readAll(); // one sequential read per batch (one GET on S3), not one per row
            } catch (ArchiveException e) {
                onError.accept(e.reason + ": " + e.getMessage());
                continue;
            }
            for (int r = 0; r < b.rows.size(); r++) {
                ArchivedMemory m;
                try {
                    m = b.memory(r, prefix + r, java.util.Arrays.copyOfRange(all, r * (dim / 8), (r + 1) * (dim / 8)));
                } catch (ArchiveException e) {
                    onError.accept(e.reason + ": " + e.getMessage());
                    continue;
                }
                Long gone = deleted.get(m.memoryId);
                if (gone != null && gone >= m.updatedMs) {
                    continue;
                }
                ArchivedMemory prev = newest.get(m.memoryId);
                if (prev == null || prev.updatedMs < m.updatedMs) {
                    newest.put(m.memoryId, m);
                }
            }
        }
        List<ArchivedMemory> out = new ArrayList<>(newest.values());
        out.sort((x, y) -> x.memoryId.compareTo(y.memoryId));
        return out;
    }

    /** Rows in the committed batches of a tenant, from the sidecars alone (no vector is read). */
    public long committedRows(String tenant) throws IOException {
        Path tenantDir = new Path(base, ColdArchive.tenantDir(tenant));
        long n = 0;
        for (Path dir : batchDirs(tenantDir.getFileSystem(), tenantDir, null, null)) {
            try {
                n += Batch.open(dir, dim).rows.size();
            } catch (ArchiveException e) {
                // not (fully) committed yet
            }
        }
        return n;
    }

    /** The batch directories of a tenant whose archive date is in [fromDate, toDate] (either may be null). */
    private static List<Path> batchDirs(FileSystem fs, Path tenantDir, String fromDate, String toDate) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!fs.exists(tenantDir)) {
            return out;
        }
        for (FileStatus day : list(fs, tenantDir)) {
            String date = day.getPath().getName();
            if (!day.isDir() || date.equals(ColdArchive.TOMBSTONES) || (fromDate != null && date.compareTo(fromDate) < 0)
                    || (toDate != null && date.compareTo(toDate) > 0)) {
                continue;
            }
            for (FileStatus batch : list(fs, day.getPath())) {
                out.add(batch.getPath());
            }
        }
        return out;
    }

    /** memory_id → latest deletion time, from the tenant's tombstone files. */
    private static Map<String, Long> tombstones(FileSystem fs, Path dir) throws IOException {
        Map<String, Long> out = new HashMap<>();
        if (!fs.exists(dir)) {
            return out;
        }
        for (FileStatus day : list(fs, dir)) {
            for (FileStatus f : list(fs, day.getPath())) {
                if (!f.getPath().getName().endsWith(ColdArchive.SIDECAR_SUFFIX)) {
                    continue;
                }
                for (Map<String, Object> m : readLines(fs, f.getPath())) {
                    if (Boolean.TRUE.equals(m.get("tombstone"))) {
                        out.merge((String) m.get("memory_id"), ((Number) m.get("deleted_ms")).longValue(), Math::max);
                    }
                }
            }
        }
        return out;
    }

    /** Committed files only: FileSink's in-progress and pending files start with '.'. */
    private static List<FileStatus> list(FileSystem fs, Path dir) throws IOException {
        FileStatus[] st = fs.listStatus(dir);
        List<FileStatus> out = new ArrayList<>();
        if (st != null) {
            for (FileStatus s : st) {
                String n = s.getPath().getName();
                if (!n.startsWith(".") && !n.startsWith("_") || n.equals(ColdArchive.TOMBSTONES)) {
                    out.add(s);
                }
            }
        }
        out.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        return out;
    }

    private static List<Map<String, Object>> readLines(FileSystem fs, Path f) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(f), StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(FlatJson.parse(line));
                } catch (IllegalArgumentException e) {
                    throw new ArchiveException(ArchiveException.CORRUPT, f + " line " + n + " is not JSON: " + e.getMessage());
                }
            }
        }
        return out;
    }

    /** One committed batch: its .npy and its sidecar. */
    private static final class Batch {
        final Path dir;
        final Path npy;
        final FileSystem fs;
        final int dim;
        final List<Map<String, Object>> rows = new ArrayList<>();
        long dataOffset;

        private Batch(Path dir, Path npy, FileSystem fs, int dim) {
            this.dir = dir;
            this.npy = npy;
            this.fs = fs;
            this.dim = dim;
        }

        static Batch open(Path dir, int dim) throws IOException {
            FileSystem fs = dir.getFileSystem();
            List<FileStatus> files;
            try {
                files = fs.exists(dir) ? list(fs, dir) : List.of();
            } catch (FileNotFoundException e) {
                files = List.of();
            }
            Path npy = null;
            Path meta = null;
            for (FileStatus f : files) {
                String n = f.getPath().getName();
                if (n.endsWith(ColdArchive.SIDECAR_SUFFIX)) {
                    meta = f.getPath();
                } else if (n.endsWith(ColdArchive.VECTORS_SUFFIX)) {
                    npy = f.getPath();
                }
            }
            if (npy == null || meta == null) {
                throw new ArchiveException(ArchiveException.MISSING, "no committed archive in " + dir
                        + (files.isEmpty() ? "" : " (found " + files.size() + " other files)"));
            }
            Batch b = new Batch(dir, npy, fs, dim);
            List<Map<String, Object>> lines = readLines(fs, meta);
            for (Map<String, Object> m : lines) {
                if (m.containsKey("row")) {
                    b.rows.add(m);
                }
            }
            Map<String, Object> summary = lines.isEmpty() ? null : lines.get(lines.size() - 1);
            if (summary == null || !summary.containsKey("rows") || ((Number) summary.get("rows")).longValue() != b.rows.size()) {
                throw new ArchiveException(ArchiveException.CORRUPT, meta + " is truncated: its summary line is missing or counts other rows");
            }
            b.dataOffset = b.checkHeader();
            return b;
        }

        /** Parses the .npy header; returns where the rows start. */
        private long checkHeader() throws IOException {
            try (FSDataInputStream in = fs.open(npy)) {
                byte[] pre = in.readNBytes(10);
                if (pre.length < 10 || (pre[0] & 0xFF) != 0x93 || !new String(pre, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
                    throw new ArchiveException(ArchiveException.CORRUPT, npy + " is not a .npy file");
                }
                int hlen = (pre[8] & 0xFF) | (pre[9] & 0xFF) << 8;
                String h = new String(in.readNBytes(hlen), StandardCharsets.US_ASCII);
                String want = "'shape': (" + rows.size() + ", " + dim / 8 + ")";
                if (!h.contains("'descr': '|u1'") || !h.contains(want)) {
                    throw new ArchiveException(ArchiveException.CORRUPT, npy + " header " + h.trim() + " does not hold " + want);
                }
                return 10L + hlen;
            }
        }

        /** Every row's bytes, read in one pass. */
        byte[] readAll() throws IOException {
            long len = (long) rows.size() * (dim / 8);
            try (FSDataInputStream in = fs.open(npy)) {
                in.seek(dataOffset);
                byte[] all = in.readNBytes((int) len);
                if (all.length != len) {
                    throw new ArchiveException(ArchiveException.CORRUPT, npy + " holds " + all.length + " bytes of rows, not " + len);
                }
                return all;
            }
        }

        /** One row, read by its offset. */
        ArchivedMemory memory(int r, String location) throws IOException {
            byte[] bytes = new byte[dim / 8];
            try (FSDataInputStream in = fs.open(npy)) {
                in.seek(dataOffset + (long) r * bytes.length);
                int got = in.readNBytes(bytes, 0, bytes.length);
                if (got != bytes.length) {
                    throw new ArchiveException(ArchiveException.CORRUPT, npy + " ends before row " + r);
                }
            }
            return memory(r, location, bytes);
        }

        ArchivedMemory memory(int r, String location, byte[] bytes) throws IOException {
            Map<String, Object> m = rows.get(r);
            if (((Number) m.get("row")).intValue() != r) {
                throw new ArchiveException(ArchiveException.CORRUPT, dir + " sidecar line for row " + r + " says row " + m.get("row"));
            }
            String sha = ColdArchive.sha256Hex(bytes);
            if (!sha.equals(m.get("sha256"))) {
                throw new ArchiveException(ArchiveException.CORRUPT, npy + " row " + r + " (" + m.get("tenant") + "/" + m.get("memory_id")
                        + ") fails its checksum: sha256 " + sha + ", sidecar says " + m.get("sha256"));
            }
            String payload = (String) m.get("payload");
            try {
                return new ArchivedMemory((String) m.get("tenant"), (String) m.get("memory_id"), (String) m.get("context_id"),
                        Hdv.fromPacked(bytes, dim).words(), payload == null ? null : Base64.getDecoder().decode(payload),
                        ((Number) m.get("strength")).doubleValue(), ((Number) m.get("updated_ms")).longValue(),
                        ((Number) m.get("half_life_ms")).doubleValue(), ((Number) m.get("last_access_ms")).longValue(),
                        ((Number) m.get("access_count")).intValue(), location);
            } catch (RuntimeException e) {
                throw new ArchiveException(ArchiveException.CORRUPT, dir + " sidecar row " + r + " is incomplete: " + e);
            }
        }
    }

}
