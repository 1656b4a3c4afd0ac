package io.mnemocore.operators.tier;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ingest.DlqRecord;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.redis.Backoff;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Reads reactivated COLD memories back from their archive (Flink async I/O, so slow object-store
 * reads never block the consolidator) and turns each into a {@code memory.restore} event for the
 * consolidator, sent through the event stream like every other feedback.
 *
 * <ul>
 *   <li>A missing batch is retried for {@code pendingGraceMs}: its part files are committed only
 *       when the checkpoint after the archiving completes.</li>
 *   <li>Other I/O errors are retried with backoff; when the budget is spent the async timeout
 *       fails the job, which restarts from its last checkpoint (nothing is dropped).</li>
 *   <li>A corrupt archive (wrong row, checksum mismatch) or one still missing after the grace
 *       period is reported as an error record (DLQ) and counted; the memory stays COLD.</li>
 * </ul>
 */
public final class Rehydrator extends RichAsyncFunction<Transition, Rehydration> {
    private static final long serialVersionUID = 1L;

    private final String base;
    private final int dim;
    private final long pendingGraceMs;
    private final int threads;
    private transient ArchiveReader reader;
    private transient ExecutorService pool;
    private transient Map<String, Counter> failures;
    private transient Counter read;

    public Rehydrator(String base, int dim, long pendingGraceMs, int threads) {
        this.base = base;
        this.dim = dim;
        this.pendingGraceMs = pendingGraceMs;
        this.threads = threads;
    }

    @Override
    public void open(OpenContext ctx) {
        reader = new ArchiveReader(base, dim);
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "archive-reader");
            t.setDaemon(true);
            return t;
        });
        var metrics = getRuntimeContext().getMetricGroup();
        failures = new HashMap<>();
        for (String reason : List.of(ArchiveException.MISSING, ArchiveException.CORRUPT)) {
            failures.put(reason, metrics.addGroup("reason", reason).counter("haim_rehydration_failures_total"));
        }
        read = metrics.counter("haim_archive_reads_total");
    }

    @Override
    public void asyncInvoke(Transition t, ResultFuture<Rehydration> result) {
        pool.execute(() -> {
            try {
                result.complete(List.of(fetch(t)));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
    }

    private Rehydration fetch(Transition t) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + pendingGraceMs;
        Backoff backoff = new Backoff(100, 5_000);
        while (true) {
            try {
                ArchivedMemory m = reader.read(t.tenant, t.memoryId, t.archive);
                read.inc();
                return Rehydration.of(restoreEvent(m, "access", t.atMs));
            } catch (ArchiveException e) {
                if (e.reason.equals(ArchiveException.MISSING) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(backoff.nextDelayMs());
                    continue;
                }
                failures.get(e.reason).inc();
                return Rehydration.failed(new DlqRecord(e.reason, e.getMessage(), null, t.id(), t.tenant, null, t.atMs));
            } catch (IOException e) {
                // The store is unreachable: keep trying; the async timeout bounds how long.
                Thread.sleep(backoff.nextDelayMs());
            }
        }
    }

    /** The event that brings an archived memory back (also used by {@code ./mnemocore rehydrate}). */
    public static MemoryEvent restoreEvent(ArchivedMemory m, String origin, long at) {
        MemoryEvent e = new MemoryEvent();
        e.type = EventType.MEMORY_RESTORE;
        e.tenant = m.tenant;
        e.memoryId = m.memoryId;
        e.contextId = m.contextId;
        e.hdv = m.hdv;
        e.payload = m.payload;
        e.ltpStrength = m.strength;
        e.updatedMs = m.updatedMs;
        e.halfLifeMs = m.halfLifeMs;
        e.lastAccess = m.lastAccessMs;
        e.accessCount = m.accessCount;
        e.archive = m.location;
        e.origin = origin;
        e.timestamp = at;
        return e;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
