package io.mnemocore.operators.tier;

import io.mnemocore.hdv.kernel.HammingKernel;
import io.mnemocore.hdv.kernel.HammingKernels;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.TopK;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The WARM tier without Qdrant: a local store in the job's working directory, for embedded runs
 * and single-machine clusters. An append-only log of upserts and deletes ({@code warm.log}, each
 * record length-prefixed and CRC-checked, fsynced by {@link #sync}), replayed into
 * per-tenant packed matrices at open and searched with the project's Hamming kernel. A torn tail
 * after a crash is cut off; the log is compacted when more than half of it is dead.
 *
 * <p>One instance per directory and JVM (subtasks share it); a file lock keeps a second process
 * out. Vectors are held in RAM (2 KB each at D = 16,384): this is for local use, Qdrant for scale.
 */
public final class EmbeddedWarmStore implements WarmTier {
    private static final Map<Path, EmbeddedWarmStore> OPEN = new HashMap<>();
    private static final byte UPSERT = 1;
    private static final byte DELETE = 2;
    private static final long COMPACT_MIN_BYTES = 64L << 20;

    private final Path dir;
    private final Path logFile;
    private final int dim;
    private final FileChannel lockChannel;
    private final HammingKernel kernel = HammingKernels.create("cpu", 1);
    private final Map<String, Segment> tenants = new HashMap<>();
    private FileChannel log;
    private long liveRecordBytes;
    private int refs;

    /** Opens (or shares) the store in {@code dir}. Close once per open. */
    public static EmbeddedWarmStore open(Path dir, int dim) throws IOException {
        Path key = dir.toAbsolutePath().normalize();
        synchronized (OPEN) {
            EmbeddedWarmStore s = OPEN.get(key);
            if (s == null) {
                s = new EmbeddedWarmStore(key, dim);
                OPEN.put(key, s);
            } else if (s.dim != dim) {
                throw new IOException("embedded WARM store " + key + " is open with D=" + s.dim + ", not " + dim);
            }
            s.refs++;
            return s;
        }
    }

    private EmbeddedWarmStore(Path dir, int dim) throws IOException {
        this.dir = dir;
        this.dim = dim;
        Files.createDirectories(dir);
        this.logFile = dir.resolve("warm.log");
        this.lockChannel = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("embedded WARM store " + dir + " is in use by another process; "
                    + "each machine needs its own directory (haim.tiers.warm.path), or configure haim.qdrant.url");
        }
        long good = replay();
        log = FileChannel.open(logFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (log.size() > good) {
            log.truncate(good); // a torn record from a crash: it was never acknowledged
        }
        log.position(good);
        if (good > 2 * liveRecordBytes && good > COMPACT_MIN_BYTES) {
            compact();
        }
    }

    private long replay() throws IOException {
        if (!Files.exists(logFile)) {
            return 0;
        }
        long good = 0;
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(logFile), 1 << 16))) {
            while (true) {
                int len;
                try {
                    len = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                int crc = in.readInt();
                if (len <= 0 || len > (64 << 20)) {
                    break;
                }
                byte[] body = new byte[len];
                try {
                    in.readFully(body);
                } catch (EOFException e) {
                    break;
                }
                CRC32 c = new CRC32();
                c.update(body);
                if ((int) c.getValue() != crc) {
                    break;
                }
                applyRecord(body);
                good += 8 + len;
            }
        }
        return good;
    }

    @Override
    public synchronized void apply(List<Op> ops) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(ops.size() * (dim / 8 + 256));
        DataOutputStream d = new DataOutputStream(buf);
        for (Op op : ops) {
            byte[] body = encode(op);
            CRC32 c = new CRC32();
            c.update(body);
            d.writeInt(body.length);
            d.writeInt((int) c.getValue());
            d.write(body);
            // Applied from the op itself: decoding the record just written would give back the same point.
            applyOp(op.tenant, op.memoryId, op.point, body.length + 8);
        }
        ByteBuffer bb = ByteBuffer.wrap(buf.toByteArray());
        while (bb.hasRemaining()) {
            log.write(bb);
        }
        if (log.size() > 2 * liveRecordBytes && log.size() > COMPACT_MIN_BYTES) {
            compact();
        }
    }

    private byte[] encode(Op op) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(op.point == null ? 64 : dim / 8 + 256);
        DataOutputStream d = new DataOutputStream(b);
        d.writeByte(op.point == null ? DELETE : UPSERT);
        d.writeUTF(op.tenant);
        d.writeUTF(op.memoryId);
        WarmPoint p = op.point;
        if (p != null) {
            if (p.hdv == null || p.hdv.length * 64 != dim) {
                throw new IllegalArgumentException("WARM point " + p.tenant + "/" + p.memoryId + " has no " + dim + "-bit vector");
            }
            d.writeBoolean(p.contextId != null);
            if (p.contextId != null) {
                d.writeUTF(p.contextId);
            }
            d.writeDouble(p.strength);
            d.writeLong(p.updatedMs);
            d.writeDouble(p.halfLifeMs);
            d.writeLong(p.lastAccessMs);
            d.writeInt(p.accessCount);
            d.writeInt(p.payload == null ? -1 : p.payload.length);
            if (p.payload != null) {
                d.write(p.payload);
            }
            ByteBuffer words = ByteBuffer.allocate(p.hdv.length * 8); // big-endian, as writeLong
            words.asLongBuffer().put(p.hdv);
            d.write(words.array());
        }
        return b.toByteArray();
    }

    private void applyRecord(byte[] body) throws IOException {
        DataInputStream d = new DataInputStream(new java.io.ByteArrayInputStream(body));
        byte op = d.readByte();
        String tenant = d.readUTF();
        String id = d.readUTF();
        WarmPoint point = null;
        if (op == UPSERT) {
            String ctx = d.readBoolean() ? d.readUTF() : null;
            double strength = d.readDouble();
            long updated = d.readLong();
            double half = d.readDouble();
            long last = d.readLong();
            int count = d.readInt();
            int plen = d.readInt();
            byte[] payload = null;
            if (plen >= 0) {
                payload = new byte[plen];
                d.readFully(payload);
            }
            long[] hdv = new long[dim / 64];
            for (int i = 0; i < hdv.length; i++) {
                hdv[i] = d.readLong();
            }
            point = new WarmPoint(tenant, id, ctx, hdv, payload, strength, updated, half, last, count);
        }
        applyOp(tenant, id, point, body.length + 8);
    }

    /** An upsert (point not null) or a delete, whose log record takes {@code recordBytes}. */
    private void applyOp(String tenant, String id, WarmPoint point, int recordBytes) {
        Segment seg = tenants.computeIfAbsent(tenant, t -> new Segment(dim));
        liveRecordBytes -= seg.remove(id);
        if (point != null) {
            seg.put(point, recordBytes);
            liveRecordBytes += recordBytes;
        }
        if (seg.rows.isEmpty()) {
            tenants.remove(tenant);
        }
    }

    /** Rewrites the log with live points only, then swaps it in atomically. */
    private void compact() throws IOException {
        Path tmp = dir.resolve("warm.log.compact");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            for (Segment seg : tenants.values()) {
                for (int r = 0; r < seg.rows.size(); r++) {
                    byte[] body = encode(Op.upsert(seg.point(r)));
                    CRC32 c = new CRC32();
                    c.update(body);
                    ByteBuffer bb = ByteBuffer.allocate(8 + body.length).putInt(body.length).putInt((int) c.getValue()).put(body);
                    bb.flip();
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                }
            }
            out.force(true);
        }
        log.close();
        Files.move(tmp, logFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        log = FileChannel.open(logFile, StandardOpenOption.WRITE);
        log.position(log.size());
    }

    /** fsync: only here, not per batch, since records after the last checkpoint are replayed anyway after a crash. */
    @Override
    public synchronized void sync() throws IOException {
        log.force(false);
    }

    @Override
    public synchronized List<WarmHit> search(String tenant, long[] hdv, int k) {
        Segment seg = tenants.get(tenant);
        if (seg == null || k <= 0) {
            return new ArrayList<>();
        }
        try {
            return WarmTier.nearest(k, n -> {
                TopK top = kernel.topK(seg.matrix, hdv, Math.min(seg.rows.size(), n));
                List<WarmHit> out = new ArrayList<>(top.size());
                for (int i = 0; i < top.size(); i++) {
                    out.add(new WarmHit(seg.point(top.row(i)), top.distance(i)));
                }
                return out;
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // the in-memory scan does no I/O
        }
    }

    @Override
    public synchronized WarmPoint get(String tenant, String memoryId) {
        Segment seg = tenants.get(tenant);
        Integer r = seg == null ? null : seg.rowOf.get(memoryId);
        return r == null ? null : seg.point(r);
    }

    @Override
    public synchronized long count(String tenant) {
        Segment seg = tenants.get(tenant);
        return seg == null ? 0 : seg.rows.size();
    }

    /** Bytes of the log on disk (for the figures). */
    public synchronized long logBytes() throws IOException {
        return log.size();
    }

    @Override
    public void close() throws IOException {
        synchronized (OPEN) {
            if (refs <= 0) {
                // Closed already: a task's clean-up closes again after a close that threw, and that
                // must neither touch the closed channels nor drop a newer store of the same directory.
                return;
            }
            if (--refs > 0) {
                return;
            }
            // Out of the open list only once the lock is free: an open in between (a task
            // restarting in this JVM) would find neither the store nor the lock, and be refused.
            // Each step runs even when one before it threw (an interrupted task's force closes the
            // log channel), so the lock never outlives the store.
            try {
                synchronized (this) {
                    try {
                        log.force(false);
                    } finally {
                        try {
                            log.close();
                        } finally {
                            try {
                                lockChannel.close(); // releases the lock
                            } finally {
                                kernel.close();
                            }
                        }
                    }
                }
            } finally {
                OPEN.remove(dir);
            }
        }
    }

    /** One tenant's points: vectors in a packed matrix (rows swap-removed), the rest beside it. */
    private static final class Segment {
        /** A point without its vector (that is the matrix row), and its log record's size. */
        private static final class Row {
            final WarmPoint facts;
            final int bytes;

            Row(WarmPoint facts, int bytes) {
                this.facts = facts;
                this.bytes = bytes;
            }
        }

        final HdvMatrix matrix;
        final List<Row> rows = new ArrayList<>();
        final Map<String, Integer> rowOf = new HashMap<>();

        Segment(int dim) {
            matrix = new HdvMatrix(dim, 64);
        }

        void put(WarmPoint p, int recordBytes) {
            matrix.add(p.hdv);
            rows.add(new Row(new WarmPoint(p.tenant, p.memoryId, p.contextId, null, p.payload, p.strength, p.updatedMs,
                    p.halfLifeMs, p.lastAccessMs, p.accessCount), recordBytes));
            rowOf.put(p.memoryId, rows.size() - 1);
        }

        /** Removes a point if present (the last row moves into its place); returns its record size (0 if absent). */
        int remove(String id) {
            Integer r = rowOf.remove(id);
            if (r == null) {
                return 0;
            }
            int size = rows.get(r).bytes;
            int moved = matrix.removeSwapLast(r);
            Row last = rows.remove(rows.size() - 1);
            if (moved >= 0) {
                rows.set(r, last);
                rowOf.put(last.facts.memoryId, r);
            }
            return size;
        }

        WarmPoint point(int r) {
            WarmPoint m = rows.get(r).facts;
            return new WarmPoint(m.tenant, m.memoryId, m.contextId, matrix.row(r), m.payload, m.strength, m.updatedMs,
                    m.halfLifeMs, m.lastAccessMs, m.accessCount);
        }
    }
}
