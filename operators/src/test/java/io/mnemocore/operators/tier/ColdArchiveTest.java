package io.mnemocore.operators.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.codec.PythonInteropTest;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive format written by the COLD sinks' writers, read back by {@link ArchiveReader} and by numpy. */
class ColdArchiveTest {
    static final int D = 16384;

    static Transition row(String tenant, String id, String location, long seed, long at) {
        Transition t = new Transition();
        t.kind = TransitionKind.WARM_TO_COLD;
        t.tenant = tenant;
        t.memoryId = id;
        t.contextId = seed % 2 == 0 ? "ctx-" + seed : null;
        t.fromTier = Tier.WARM;
        t.toTier = Tier.COLD;
        t.strength = 0.25 + seed * 1e-3;
        t.atMs = at;
        t.halfLifeMs = 86_400_000.0 * 1.5;
        t.lastAccessMs = at - 1000;
        t.accessCount = (int) seed;
        t.archive = location;
        t.hdv = Hdv.random(D, seed).words();
        t.payload = seed % 3 == 0 ? null : ("payload \"" + seed + "\"\n").getBytes(StandardCharsets.UTF_8);
        return t;
    }

    /** Writes one batch the way the two FileSink part writers do, into BASE/tenant/date/batch/. */
    static List<Transition> writeBatch(Path base, String tenant, String date, String batch, int n, long seed0) throws Exception {
        List<Transition> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(row(tenant, "m" + (seed0 + i), date + "/" + batch + "/" + i, seed0 + i, 1_764_000_000_000L + i));
        }
        Path dir = base.resolve(ColdArchive.tenantDir(tenant)).resolve(date).resolve(batch);
        Files.createDirectories(dir);
        write(ColdArchive.npyWriter(D), dir.resolve("part-a-0.npy"), rows);
        write(ColdArchive.sidecarWriter(D), dir.resolve("part-b-0.meta.jsonl"), rows);
        return rows;
    }

    static void write(BulkWriter.Factory<Transition> f, Path file, List<Transition> rows) throws Exception {
        try (FSDataOutputStream out = FileSystem.getLocalFileSystem().create(new org.apache.flink.core.fs.Path(file.toUri()),
                FileSystem.WriteMode.OVERWRITE)) {
            BulkWriter<Transition> w = f.create(out);
            for (Transition t : rows) {
                w.addElement(t);
            }
            w.finish();
        }
    }

    @Test
    void everyRowReadsBackWithItsFactsAndChecksum(@TempDir Path base) throws Exception {
        List<Transition> rows = writeBatch(base, "acme.eu:1", "2026-11-25", "00000000000000aa", 37, 100);
        ArchiveReader r = new ArchiveReader(base.toUri().toString(), D);
        for (Transition t : rows) {
            ArchivedMemory m = r.read(t.tenant, t.memoryId, t.archive);
            assertThat(m.hdv).isEqualTo(t.hdv);
            assertThat(m.payload).isEqualTo(t.payload);
            assertThat(m.contextId).isEqualTo(t.contextId);
            assertThat(m.strength).isEqualTo(t.strength);
            assertThat(m.updatedMs).isEqualTo(t.atMs);
            assertThat(m.halfLifeMs).isEqualTo(t.halfLifeMs);
            assertThat(m.lastAccessMs).isEqualTo(t.lastAccessMs);
            assertThat(m.accessCount).isEqualTo(t.accessCount);
        }
        // The tenant directory never holds '.' or ':' (no path tricks from tenant names).
        assertThat(Files.list(base).map(p -> p.getFileName().toString()).toList()).containsExactly("acme%2Eeu%3A1");
    }

    @Test
    void aFlippedByteOrAWrongRowIsAnErrorNeverAWrongVector(@TempDir Path base) throws Exception {
        List<Transition> rows = writeBatch(base, "t", "2026-11-25", "00000000000000bb", 5, 7);
        ArchiveReader r = new ArchiveReader(base.toUri().toString(), D);
        Path npy = base.resolve("t/2026-11-25/00000000000000bb/part-a-0.npy");
        try (RandomAccessFile f = new RandomAccessFile(npy.toFile(), "rw")) {
            long off = f.length() - 2 * (D / 8) + 17; // inside row 3
            f.seek(off);
            int b = f.read();
            f.seek(off);
            f.write(b ^ 0x10);
        }
        assertThat(r.read("t", rows.get(2).memoryId, rows.get(2).archive).hdv).isEqualTo(rows.get(2).hdv);
        assertThatThrownBy(() -> r.read("t", rows.get(3).memoryId, rows.get(3).archive))
                .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason).isEqualTo(ArchiveException.CORRUPT))
                .hasMessageContaining("checksum");
        // Asking for row 1 under row 0's id: the sidecar names another memory.
        assertThatThrownBy(() -> r.read("t", rows.get(0).memoryId, rows.get(1).archive))
                .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason).isEqualTo(ArchiveException.CORRUPT));
        assertThatThrownBy(() -> r.read("t", "m9", "2026-11-25/00000000000000cc/0"))
                .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason).isEqualTo(ArchiveException.MISSING));
        // A sidecar cut short loses its summary line: the whole batch is refused.
        Path meta = base.resolve("t/2026-11-25/00000000000000bb/part-b-0.meta.jsonl");
        List<String> lines = Files.readAllLines(meta);
        Files.write(meta, lines.subList(0, lines.size() - 1));
        // (A new reader: one that has already read the batch keeps its sidecar, as committed batches never change.)
        assertThatThrownBy(() -> new ArchiveReader(base.toUri().toString(), D).read("t", rows.get(0).memoryId, rows.get(0).archive))
                .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason).isEqualTo(ArchiveException.CORRUPT))
                .hasMessageContaining("truncated");
    }

    @Test
    void scanHonoursTombstonesAndKeepsTheNewestVersion(@TempDir Path base) throws Exception {
        List<Transition> day1 = writeBatch(base, "t", "2026-11-24", "0000000000000001", 4, 0);
        // m1 archived again later (a rewrite, then decay): the newer row wins.
        Transition again = row("t", "m1", "2026-11-25/0000000000000002/0", 99, 1_764_100_000_000L);
        Path dir2 = base.resolve("t/2026-11-25/0000000000000002");
        Files.createDirectories(dir2);
        write(ColdArchive.npyWriter(D), dir2.resolve("part-x-0.npy"), List.of(again));
        write(ColdArchive.sidecarWriter(D), dir2.resolve("part-y-0.meta.jsonl"), List.of(again));
        // m2 deleted after it was archived; m3 deleted before a later archive would not count (none here).
        Transition del = day1.get(2).copy();
        del.kind = TransitionKind.DELETED;
        del.fromTier = Tier.COLD;
        del.toTier = null;
        del.atMs = day1.get(2).atMs + 5;
        assertThat(ColdArchive.isTombstone(del)).isTrue();
        Path tomb = base.resolve("t/_tombstones/2026-11-25");
        Files.createDirectories(tomb);
        write(ColdArchive.sidecarWriter(D), tomb.resolve("part-z-0.meta.jsonl"), List.of(del));

        ArchiveReader r = new ArchiveReader(base.toUri().toString(), D);
        List<String> errors = new ArrayList<>();
        List<ArchivedMemory> all = r.scan("t", null, null, errors::add);
        assertThat(errors).isEmpty();
        assertThat(all).extracting(m -> m.memoryId).containsExactly("m0", "m1", "m3");
        assertThat(all.get(1).hdv).isEqualTo(again.hdv);
        assertThat(all.get(1).location).isEqualTo("2026-11-25/0000000000000002/0");
        assertThat(r.scan("t", "2026-11-25", null, errors::add)).extracting(m -> m.memoryId).containsExactly("m1");
        assertThat(r.scan("t", null, "2026-11-24", errors::add)).extracting(m -> m.memoryId).containsExactly("m0", "m1", "m3");
        assertThat(r.scan("other", null, null, errors::add)).isEmpty();
    }

    @Test
    void numpyLoadsTheVectorsAndPythonVerifiesTheChecksums(@TempDir Path base) throws Exception {
        String py = PythonInteropTest.python();
        assumeTrue(py != null, "no python3 with msgpack and numpy (./mnemocore test installs python3-msgpack python3-numpy)");
        List<Transition> rows = writeBatch(base, "t", "2026-11-25", "00000000000000dd", 9, 500);
        Path dir = base.resolve("t/2026-11-25/00000000000000dd");
        Path expected = base.resolve("expected.bin");
        byte[] all = new byte[rows.size() * D / 8];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(Hdv.wrap(D, rows.get(i).hdv).toPacked(), 0, all, i * D / 8, D / 8);
        }
        Files.write(expected, all);
        String script = String.join("\n",
                "import json, hashlib, sys, numpy as np",
                "d = sys.argv[1]",
                "a = np.load(d + '/part-a-0.npy')",
                "assert a.dtype == np.uint8 and a.shape == (9, 2048), (a.dtype, a.shape)",
                "assert a.tobytes() == open(sys.argv[2], 'rb').read()",
                "lines = [json.loads(l) for l in open(d + '/part-b-0.meta.jsonl')]",
                "rows, summary = lines[:-1], lines[-1]",
                "assert summary['rows'] == 9 and summary['vectors_sha256'] == hashlib.sha256(a.tobytes()).hexdigest()",
                "for i, r in enumerate(rows):",
                "    assert r['row'] == i and r['memory_id'] == 'm%d' % (500 + i), r",
                "    assert hashlib.sha256(a[i].tobytes()).hexdigest() == r['sha256']",
                "    bits = np.unpackbits(a[i])",
                "    assert bits.size == 16384",
                "print('ok', a.shape)",
                "");
        Path sc = base.resolve("check.py");
        Files.writeString(sc, script);
        Process p = new ProcessBuilder(py, sc.toString(), dir.toString(), expected.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("ok (9, 2048)");
    }

    @Test
    void gzipGainsAlmostNothingOnHdvs() throws Exception {
        // The figure behind compression: none (see README); random HDVs have full entropy.
        byte[] rows = new byte[512 * D / 8];
        for (int i = 0; i < 512; i++) {
            System.arraycopy(Hdv.random(D, i).toPacked(), 0, rows, i * D / 8, D / 8);
        }
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(z)) {
            g.write(rows);
        }
        assertThat((double) z.size() / rows.length).isGreaterThan(0.99);
    }

    @Test
    void aLocationParsesOnlyInItsOwnForm() {
        ColdArchive.Location loc = ColdArchive.Location.parse("2026-12-06/00ff00ff00ff00ff/123456789");
        assertThat(loc.date).isEqualTo("2026-12-06");
        assertThat(loc.batch).isEqualTo("00ff00ff00ff00ff");
        assertThat(loc.row).isEqualTo(123456789);
        assertThat(loc.toString()).isEqualTo("2026-12-06/00ff00ff00ff00ff/123456789");
        for (String bad : new String[] {null, "", "2026-12-06/00ff00ff00ff00ff", "2026-12-6/00ff00ff00ff00ff/1",
                "2026-12-06/00FF00FF00FF00FF/1", "2026-12-06/00ff00ff00ff00f/1", "2026-12-06/00ff00ff00ff00ff/1234567890",
                "2026-12-06/00ff00ff00ff00ff/-1", "2026-12-06/00ff00ff00ff00ff/1/2", "x2026-12-06/00ff00ff00ff00ff/1"}) {
            assertThatThrownBy(() -> ColdArchive.Location.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an archive location");
        }
    }
}
