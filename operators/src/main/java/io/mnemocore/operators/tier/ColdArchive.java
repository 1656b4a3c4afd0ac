package io.mnemocore.operators.tier;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;

/**
 * The COLD tier: WARM→COLD transitions archived through two exactly-once {@link FileSink}s
 * (part files committed on checkpoints) to {@code file://} or {@code s3a://}.
 *
 * <pre>
 * BASE/&lt;tenant&gt;/&lt;yyyy-MM-dd&gt;/&lt;batch&gt;/part-*.npy         vectors: uint8, shape (n, D/8), numpy.packbits order
 * BASE/&lt;tenant&gt;/&lt;yyyy-MM-dd&gt;/&lt;batch&gt;/part-*.meta.jsonl  one line per row: ids, context, LTP facts, payload, sha256;
 *                                                        last line: rows and sha256 of all vector bytes
 * BASE/&lt;tenant&gt;/_tombstones/&lt;yyyy-MM-dd&gt;/part-*.meta.jsonl  deletions of archived memories
 * </pre>
 *
 * <p>A memory's location is (date, batch, row). The consolidator picks it: each subtask starts a
 * new batch (a random 64-bit id) at every checkpoint, for each tenant and date, and after
 * {@code rows_per_file} rows; the sinks are chained to it (forward, same parallelism) and roll
 * only on checkpoints, so a batch is exactly one committed .npy and one sidecar, in the order the
 * rows were emitted. Readers still check the row's id and checksum: a wrong row is an error, never a
 * silent wrong vector. Plain .npy (no gzip): rows must be readable by offset, and random HDVs do not
 * compress (ratio measured by {@code ./mnemocore bench archive}).
 */
public final class ColdArchive {
    public static final String VECTORS_SUFFIX = ".npy";
    public static final String SIDECAR_SUFFIX = ".meta.jsonl";
    public static final String TOMBSTONES = "_tombstones";

    private ColdArchive() {}

    /** Where an archived memory lives inside its tenant's directory; kept in state as "date/batch/row". */
    public static final class Location {
        public final String date;
        public final String batch;
        public final int row;

        public Location(String date, String batch, int row) {
            this.date = date;
            this.batch = batch;
            this.row = row;
        }

        // Compiled once: every archived row and every sidecar line parses its location
        // (String.matches compiled three patterns a row, ~5% of a consolidator's time in bench ingest).
        private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
        private static final Pattern BATCH = Pattern.compile("[0-9a-f]{16}");
        private static final Pattern ROW = Pattern.compile("\\d{1,9}");

        public static Location parse(String s) {
            String[] p = s == null ? new String[0] : s.split("/");
            if (p.length != 3 || !DATE.matcher(p[0]).matches() || !BATCH.matcher(p[1]).matches() || !ROW.matcher(p[2]).matches()) {
                throw new IllegalArgumentException("not an archive location (date/batch/row): '" + s + "'");
            }
            return new Location(p[0], p[1], Integer.parseInt(p[2]));
        }

        @Override
        public String toString() {
            return date + "/" + batch + "/" + row;
        }

        /** The bucket (directory under BASE) of this location's batch. */
        public String bucket(String tenant) {
            return tenantDir(tenant) + "/" + date + "/" + batch;
        }
    }

    /** Tenant names may hold '.' and ':' (see the codec); directory names get [A-Za-z0-9_-] and %XX. */
    public static String tenantDir(String tenant) {
        StringBuilder b = new StringBuilder();
        for (byte c : tenant.getBytes(StandardCharsets.UTF_8)) {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                b.append((char) c);
            } else {
                b.append('%').append(String.format("%02X", c & 0xFF));
            }
        }
        return b.toString();
    }

    /** Tombstones are written for deletions of memories that were COLD (their archive row stays). */
    public static boolean isTombstone(Transition t) {
        return t.kind == TransitionKind.DELETED && t.fromTier == io.mnemocore.operators.ltp.Tier.COLD && t.archive != null;
    }

    public static boolean isArchive(Transition t) {
        return t.kind == TransitionKind.WARM_TO_COLD && t.hdv != null;
    }

    public static FileSink<Transition> vectorSink(String base, int dim) {
        return FileSink.forBulkFormat(new Path(base), npyWriter(dim))
                .withBucketAssigner(new Buckets())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(VECTORS_SUFFIX).build())
                .build();
    }

    public static FileSink<Transition> sidecarSink(String base, int dim) {
        return FileSink.forBulkFormat(new Path(base), sidecarWriter(dim))
                .withBucketAssigner(new Buckets())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(SIDECAR_SUFFIX).build())
                .build();
    }

    /** Part writers for the two sinks (BulkWriter.Factory is Serializable; so are these lambdas). */
    static BulkWriter.Factory<Transition> npyWriter(int dim) {
        return out -> new NpyWriter(out, dim);
    }

    static BulkWriter.Factory<Transition> sidecarWriter(int dim) {
        return out -> new SidecarWriter(out, dim);
    }

    static final class Buckets implements BucketAssigner<Transition, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getBucketId(Transition t, Context context) {
            Location loc = Location.parse(t.archive);
            return isTombstone(t) ? tenantDir(t.tenant) + "/" + TOMBSTONES + "/" + date(t.atMs) : loc.bucket(t.tenant);
        }

        @Override
        public SimpleVersionedSerializer<String> getSerializer() {
            return SimpleVersionedStringSerializer.INSTANCE;
        }
    }

    /** UTC day of an event time, as the archive's date directory. */
    public static String date(long epochMs) {
        return java.time.Instant.ofEpochMilli(epochMs).atZone(java.time.ZoneOffset.UTC).toLocalDate().toString();
    }

    /** The .npy v1.0 header for n rows of {@code rowBytes} uint8, padded so the data starts 64-byte aligned. */
    public static byte[] npyHeader(long n, int rowBytes) {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + n + ", " + rowBytes + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String h = dict + " ".repeat(pad) + "\n";
        byte[] hb = h.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[10 + hb.length];
        out[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.US_ASCII), 0, out, 1, 5);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) (hb.length & 0xFF);
        out[9] = (byte) (hb.length >>> 8);
        System.arraycopy(hb, 0, out, 10, hb.length);
        return out;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(sha256().digest(b));
    }

    /**
     * Writes rows as they come into a buffer and the .npy (header first, which needs the row
     * count) at the part's end, i.e. at the next checkpoint. A batch holds at most rows_per_file
     * rows, so the buffer is bounded (8 MB at 4,096 rows of 2 KB).
     */
    static final class NpyWriter implements BulkWriter<Transition> {
        private final FSDataOutputStream out;
        private final int dim;
        private final ByteArrayOutputStream rows = new ByteArrayOutputStream();
        private final byte[] row;
        private long n;

        NpyWriter(FSDataOutputStream out, int dim) {
            this.out = out;
            this.dim = dim;
            this.row = new byte[dim / 8];
        }

        @Override
        public void addElement(Transition t) {
            if (t.hdv == null || t.hdv.length * 64 != dim) {
                throw new IllegalArgumentException("archive row for " + t.tenant + "/" + t.memoryId + " has no " + dim + "-bit vector");
            }
            Hdv.packWords(t.hdv, 0, t.hdv.length, row, 0);
            rows.writeBytes(row);
            n++;
        }

        @Override
        public void flush() {
            // Rows reach the file at finish(): the header must carry the final count first.
        }

        @Override
        public void finish() throws IOException {
            out.write(npyHeader(n, dim / 8));
            rows.writeTo(out);
            out.flush();
        }
    }

    /** One JSON line per row (or tombstone) as it comes; a summary line with the vectors' checksum at the end. */
    static final class SidecarWriter implements BulkWriter<Transition> {
        private final FSDataOutputStream out;
        private final int dim;
        private final MessageDigest all = sha256();
        private final byte[] row;
        private long rows;

        SidecarWriter(FSDataOutputStream out, int dim) {
            this.out = out;
            this.dim = dim;
            this.row = new byte[dim / 8];
        }

        @Override
        public void addElement(Transition t) throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            if (isTombstone(t)) {
                m.put("tombstone", Boolean.TRUE);
                m.put("tenant", t.tenant);
                m.put("memory_id", t.memoryId);
                m.put("archive", t.archive);
                m.put("deleted_ms", t.atMs);
            } else {
                Location loc = Location.parse(t.archive);
                if (loc.row != rows) {
                    // The consolidator numbers rows in emission order; a gap means the rows and
                    // the sidecar would disagree. Fail the part (and the checkpoint) instead.
                    throw new IOException("archive row " + loc.row + " of " + t.tenant + "/" + t.memoryId + " arrived as row " + rows);
                }
                Hdv.packWords(t.hdv, 0, t.hdv.length, row, 0);
                all.update(row);
                m.put("row", (long) loc.row);
                m.put("tenant", t.tenant);
                m.put("memory_id", t.memoryId);
                m.put("context_id", t.contextId);
                m.put("strength", t.strength);
                m.put("updated_ms", t.atMs);
                m.put("half_life_ms", (long) Math.round(t.halfLifeMs));
                m.put("last_access_ms", t.lastAccessMs);
                m.put("access_count", (long) t.accessCount);
                m.put("payload", t.payload == null ? null : Base64.getEncoder().encodeToString(t.payload));
                m.put("sha256", sha256Hex(row));
                rows++;
            }
            out.write((FlatJson.write(m) + "\n").getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void finish() throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rows", rows);
            m.put("dim", (long) dim);
            m.put("vectors_sha256", HexFormat.of().formatHex(all.digest()));
            out.write((FlatJson.write(m) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }
}
