package io.mnemocore.hdv.kernel;

import io.mnemocore.hdv.Hdv;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The Hamming kernels on an NVIDIA GPU, through the CUDA driver API (JCuda; needs only
 * {@code libcuda.so}). The PTX of {@code src/main/cuda/hamming.cu} is loaded from the classpath and
 * JIT-compiled by the driver. Each matrix has a resident device copy; only rows changed since the
 * last call (HdvMatrix's dirty span) are uploaded. Top-k selection runs on the device, so a query
 * copies back k keys, not N distances. Results equal the CPU kernels, ties to the lower row.
 *
 * <p>Not verified on hardware where no GPU was available (see the README): without one,
 * {@link #unavailableReason()} says why and callers fall back to the CPU kernel.
 */
public final class CudaKernel implements HammingKernel {
    private static final int THREADS = 256;
    private static final int SORT_N = 1024;
    private static final int MAX_WORDS_BATCH = 32 * 16;
    /** The most keys one batch pass writes (see {@link #topKBatch}). */
    static final long MAX_BATCH_KEY_BYTES = 1L << 30;
    private static String unavailable;
    private static boolean probed;

    private final CUcontext ctx;
    private final CUdevice dev;
    private final CUfunction keys;
    private final CUfunction keysBatch;
    private final CUfunction topk;
    private final CUfunction bundle;
    private final CUfunction sketchHistogram;
    private final CUfunction rowsWithin;
    private final Map<HdvMatrix, Mirror> mirrors = new WeakHashMap<>();

    private static final class Mirror {
        CUdeviceptr ptr;
        long capWords;
    }

    /**
     * A device buffer kept across calls and grown when too small. A query used to allocate and
     * free its query copy, its keys and one buffer per selection round: about ten cuMemAlloc and
     * cuMemFree calls (cuMemFree also waits for the device), against a scan of ~0.6 ms at 1M rows.
     */
    private static final class Scratch {
        CUdeviceptr ptr;
        long bytes;

        CUdeviceptr atLeast(long need) {
            need = Math.max(8, need);
            if (ptr == null || bytes < need) {
                free();
                bytes = Math.max(need, bytes + bytes / 2);
                ptr = new CUdeviceptr();
                JCudaDriver.cuMemAlloc(ptr, bytes);
            }
            return ptr;
        }

        void free() {
            if (ptr != null) {
                JCudaDriver.cuMemFree(ptr);
                ptr = null;
            }
        }
    }

    private final Scratch queryBuf = new Scratch();
    private final Scratch keysBuf = new Scratch();
    private final Scratch[] selectBufs = {new Scratch(), new Scratch()};
    private final Scratch distBuf = new Scratch();
    private final Scratch histBuf = new Scratch();
    private final Scratch rowsBuf = new Scratch();
    private final Scratch foundBuf = new Scratch();
    /** The matrix and rows of the last {@link #histogram} whose distances are in {@link #distBuf}; null: in the caller's scratch. */
    private HdvMatrix distMatrix;
    private int distRows;
    /** Histogram bins a block counts in shared memory (4 bytes each, within the 48 KB every GPU gives a block). */
    static final int MAX_DEVICE_BINS = 12 * 1024;

    /** Null when a CUDA device can be used; otherwise why not (no driver, no device, load error). */
    public static synchronized String unavailableReason() {
        if (!probed) {
            probed = true;
            try {
                JCudaDriver.setExceptionsEnabled(true);
                JCudaDriver.cuInit(0);
                int[] n = new int[1];
                JCudaDriver.cuDeviceGetCount(n);
                if (n[0] == 0) {
                    unavailable = "the CUDA driver reports no device";
                }
            } catch (Throwable t) { // UnsatisfiedLinkError without libcuda.so, CudaException without a device
                String msg = String.valueOf(t.getMessage());
                unavailable = msg.contains("libcuda.so") ? "no CUDA driver here (libcuda.so.1 not found)"
                        : "CUDA is not usable here: " + t.getClass().getSimpleName() + ": " + msg.lines().findFirst().orElse("");
            }
        }
        return unavailable;
    }

    public static CudaKernel open(int device) {
        String why = unavailableReason();
        if (why != null) {
            throw new UnsupportedOperationException(why);
        }
        return new CudaKernel(device);
    }

    private CudaKernel(int device) {
        dev = new CUdevice();
        JCudaDriver.cuDeviceGet(dev, device);
        ctx = new CUcontext();
        JCudaDriver.cuCtxCreate(ctx, 0, dev);
        CUmodule module = new CUmodule();
        JCudaDriver.cuModuleLoadData(module, ptx());
        keys = function(module, "hamming_keys");
        keysBatch = function(module, "hamming_keys_batch");
        topk = function(module, "topk_reduce");
        bundle = function(module, "bundle_majority");
        sketchHistogram = function(module, "sketch_histogram");
        rowsWithin = function(module, "rows_within");
    }

    static byte[] ptx() {
        try (InputStream in = CudaKernel.class.getResourceAsStream("hamming.ptx")) {
            if (in == null) {
                throw new IllegalStateException("hamming.ptx is missing from the classpath");
            }
            byte[] b = in.readAllBytes();
            byte[] z = Arrays.copyOf(b, b.length + 1); // the driver wants a NUL-terminated image
            return z;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CUfunction function(CUmodule m, String name) {
        CUfunction f = new CUfunction();
        JCudaDriver.cuModuleGetFunction(f, m, name);
        return f;
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** Uploads what changed since the last call: the whole matrix once, then only dirty rows. */
    private CUdeviceptr sync(HdvMatrix m) {
        JCudaDriver.cuCtxSetCurrent(ctx);
        int w = m.wordsPerRow();
        long need = Math.max(1, (long) m.rows() * w);
        Mirror mi = mirrors.get(m);
        int from, to;
        if (mi == null || mi.capWords < need) {
            if (mi != null) {
                JCudaDriver.cuMemFree(mi.ptr);
            } else {
                mi = new Mirror();
                mirrors.put(m, mi);
            }
            mi.capWords = Math.max(need, (long) (need * 1.5));
            mi.ptr = new CUdeviceptr();
            JCudaDriver.cuMemAlloc(mi.ptr, mi.capWords * Sizeof.LONG);
            from = 0;
            to = m.rows() - 1;
        } else {
            from = m.dirtyFrom();
            to = Math.min(m.dirtyTo(), m.rows() - 1);
        }
        if (from <= to) {
            JCudaDriver.cuMemcpyHtoD(mi.ptr.withByteOffset((long) from * w * Sizeof.LONG),
                    Pointer.to(m.data()).withByteOffset((long) from * w * Sizeof.LONG), (long) (to - from + 1) * w * Sizeof.LONG);
        }
        m.markSynced();
        return mi.ptr;
    }

    private static CUdeviceptr alloc(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        JCudaDriver.cuMemAlloc(p, Math.max(8, bytes));
        return p;
    }

    private static CUdeviceptr upload(long[] words) {
        CUdeviceptr p = alloc((long) words.length * Sizeof.LONG);
        JCudaDriver.cuMemcpyHtoD(p, Pointer.to(words), (long) words.length * Sizeof.LONG);
        return p;
    }

    private void launch(CUfunction f, int gridX, int gridY, int block, Pointer params) {
        launch(f, gridX, gridY, block, 0, params);
    }

    private void launch(CUfunction f, int gridX, int gridY, int block, int sharedBytes, Pointer params) {
        JCudaDriver.cuLaunchKernel(f, gridX, gridY, 1, block, 1, 1, sharedBytes, null, params, null);
    }

    /**
     * The sketch pass on the device: distances stay there for {@link #rowsWithin}, and only the
     * histogram (dim + 1 counts) comes back, instead of 8 bytes a row through {@link #distances}.
     * Rows wider than {@link #MAX_DEVICE_BINS} - 1 bits take the host path.
     */
    @Override
    public void histogram(HdvMatrix m, long[] query, char[] scratch, int[] histogram) {
        HammingKernel.checkHistogram(m, scratch, histogram);
        HammingKernel.checkQuery(m, query);
        int bins = m.dim() + 1;
        if (bins > MAX_DEVICE_BINS || m.rows() == 0) {
            distMatrix = null;
            HammingKernel.super.histogram(m, query, scratch, histogram);
            return;
        }
        CUdeviceptr mat = sync(m);
        CUdeviceptr q = uploadQueries(query);
        CUdeviceptr dist = distBuf.atLeast((long) m.rows() * Sizeof.SHORT);
        CUdeviceptr hist = histBuf.atLeast((long) bins * Sizeof.INT);
        JCudaDriver.cuMemsetD32(hist, 0, bins);
        int blocks = (int) (((long) m.rows() * 32 + THREADS - 1) / THREADS);
        launch(sketchHistogram, blocks, 1, THREADS, bins * Sizeof.INT, Pointer.to(Pointer.to(mat), Pointer.to(q),
                Pointer.to(new int[] {m.rows()}), Pointer.to(new int[] {m.wordsPerRow()}), Pointer.to(dist),
                Pointer.to(new int[] {bins}), Pointer.to(hist)));
        int[] counts = new int[bins];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(counts), hist, (long) bins * Sizeof.INT);
        for (int d = 0; d < bins; d++) {
            histogram[d] += counts[d];
        }
        distMatrix = m;
        distRows = m.rows();
    }

    /** Collects the rows on the device (in no order), copies back only them, and sorts them. */
    @Override
    public void rowsWithin(HdvMatrix m, char[] scratch, int cut, int[] rows, int count) {
        if (distMatrix != m || distRows != m.rows()) {
            HammingKernel.super.rowsWithin(m, scratch, cut, rows, count);
            return;
        }
        if (count == 0) {
            return;
        }
        CUdeviceptr out = rowsBuf.atLeast((long) count * Sizeof.INT);
        CUdeviceptr found = foundBuf.atLeast(Sizeof.INT);
        JCudaDriver.cuMemsetD32(found, 0, 1);
        launch(rowsWithin, (m.rows() + THREADS - 1) / THREADS, 1, THREADS, Pointer.to(Pointer.to(distBuf.ptr),
                Pointer.to(new int[] {m.rows()}), Pointer.to(new int[] {cut}), Pointer.to(out), Pointer.to(new int[] {count}),
                Pointer.to(found)));
        int[] n = new int[1];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(n), found, Sizeof.INT);
        if (n[0] != count) {
            throw new IllegalStateException(n[0] + " rows within " + cut + " on the device, " + count + " in the histogram");
        }
        JCudaDriver.cuMemcpyDtoH(Pointer.to(rows), out, (long) count * Sizeof.INT);
        Arrays.sort(rows, 0, count);
    }

    /**
     * Reduces {@code segments} segments of n keys each to their k smallest, on the device; returns
     * them. The rounds run one after another on the default stream, reading one scratch buffer and
     * writing the other; only the final copy back waits for the device.
     */
    private long[] selectTopK(CUdeviceptr keysIn, long n, int segments, int k) {
        CUdeviceptr src = keysIn;
        long count = n;
        int round = 0;
        while (true) {
            int blocks = (int) ((count + SORT_N - 1) / SORT_N);
            CUdeviceptr out = selectBufs[round++ & 1].atLeast((long) segments * blocks * k * Sizeof.LONG);
            launch(topk, blocks, segments, SORT_N / 2, Pointer.to(Pointer.to(src), Pointer.to(new int[] {(int) count}),
                    Pointer.to(new int[] {k}), Pointer.to(out)));
            src = out;
            count = (long) blocks * k;
            if (blocks == 1) {
                break;
            }
        }
        long[] result = new long[segments * k];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(result), src, (long) result.length * Sizeof.LONG);
        return result;
    }

    private static TopK toTopK(long[] keys, int offset, int k) {
        int n = 0;
        while (n < k && keys[offset + n] != -1L) {
            n++;
        }
        int[] rows = new int[n];
        int[] dist = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = (int) keys[offset + i];
            dist[i] = (int) (keys[offset + i] >>> 32);
        }
        return new TopK(rows, dist);
    }

    /** Copies {@code words} into the reused query buffer (a synchronous copy, ordered after earlier work). */
    private CUdeviceptr uploadQueries(long[] words) {
        CUdeviceptr q = queryBuf.atLeast((long) words.length * Sizeof.LONG);
        JCudaDriver.cuMemcpyHtoD(q, Pointer.to(words), (long) words.length * Sizeof.LONG);
        return q;
    }

    /** Launches the distance kernel into the reused keys buffer; the caller's next copy back waits for it. */
    private CUdeviceptr keysFor(HdvMatrix m, long[] query) {
        CUdeviceptr mat = sync(m);
        CUdeviceptr q = uploadQueries(query);
        CUdeviceptr out = keysBuf.atLeast((long) m.rows() * Sizeof.LONG);
        int blocks = (int) (((long) m.rows() * 32 + THREADS - 1) / THREADS);
        launch(keys, Math.max(1, blocks), 1, THREADS, Pointer.to(Pointer.to(mat), Pointer.to(q),
                Pointer.to(new int[] {m.rows()}), Pointer.to(new int[] {m.wordsPerRow()}), Pointer.to(out)));
        return out;
    }

    @Override
    public void distances(HdvMatrix m, long[] query, int[] out) {
        HammingKernel.checkQuery(m, query);
        CUdeviceptr k = keysFor(m, query);
        long[] all = new long[m.rows()];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(all), k, (long) all.length * Sizeof.LONG);
        for (int i = 0; i < all.length; i++) {
            out[i] = (int) (all[i] >>> 32);
        }
    }

    @Override
    public TopK topK(HdvMatrix m, long[] query, int k) {
        HammingKernel.checkK(k);
        HammingKernel.checkQuery(m, query);
        if (m.rows() == 0) {
            return new TopK(new int[0], new int[0]);
        }
        if (k > SORT_N) { // beyond one block's sort: select on the host from all N keys (slower)
            int[] d = new int[m.rows()];
            distances(m, query, d);
            TopKCollector c = new TopKCollector(k);
            for (int i = 0; i < d.length; i++) {
                c.offer(d[i], i);
            }
            return c.result();
        }
        long[] top = selectTopK(keysFor(m, query), m.rows(), 1, k);
        return toTopK(top, 0, k);
    }

    @Override
    public TopK[] topKBatch(HdvMatrix m, long[][] queries, int k) {
        HammingKernel.checkK(k);
        int w = m.wordsPerRow();
        if (w > MAX_WORDS_BATCH || k > SORT_N || m.rows() == 0) {
            TopK[] out = new TopK[queries.length];
            for (int i = 0; i < queries.length; i++) {
                out[i] = topK(m, queries[i], k);
            }
            return out;
        }
        for (long[] query : queries) {
            HammingKernel.checkQuery(m, query);
        }
        // Each query of a pass writes a key per row: passes of at most MAX_BATCH_KEY_BYTES of keys
        // keep that bounded (1,000 queries at 1,000,000 rows would need 8 GB in one pass).
        int perPass = (int) Math.max(1, Math.min(queries.length, MAX_BATCH_KEY_BYTES / ((long) m.rows() * Sizeof.LONG)));
        TopK[] result = new TopK[queries.length];
        for (int from = 0; from < queries.length; from += perPass) {
            int nq = Math.min(perPass, queries.length - from);
            long[] qs = new long[nq * w];
            for (int i = 0; i < nq; i++) {
                System.arraycopy(queries[from + i], 0, qs, i * w, w);
            }
            CUdeviceptr mat = sync(m);
            CUdeviceptr q = uploadQueries(qs);
            CUdeviceptr out = keysBuf.atLeast((long) nq * m.rows() * Sizeof.LONG);
            int blocks = (int) (((long) m.rows() * 32 + THREADS - 1) / THREADS);
            launch(keysBatch, blocks, 1, THREADS, Pointer.to(Pointer.to(mat), Pointer.to(q), Pointer.to(new int[] {m.rows()}),
                    Pointer.to(new int[] {w}), Pointer.to(new int[] {nq}), Pointer.to(out)));
            long[] top = selectTopK(out, m.rows(), nq, k);
            for (int i = 0; i < nq; i++) {
                result[from + i] = toTopK(top, i * k, k);
            }
        }
        return result;
    }

    /**
     * The limit a scan on this device is compared with: the best of ten device-to-device copies of
     * up to 1 GiB, counting the bytes read and written as CUDA's bandwidthTest does, timed with
     * events. (The host's sequential read, which the CPU kernels are compared with, says nothing here.)
     */
    public double deviceBandwidthGbs(long bytes) {
        JCudaDriver.cuCtxSetCurrent(ctx);
        long size = Math.max(1 << 20, Math.min(bytes, 1L << 30)) & ~7L;
        CUdeviceptr from = alloc(size);
        CUdeviceptr to = alloc(size);
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(stop, 0);
        try {
            float best = Float.MAX_VALUE;
            float[] ms = new float[1];
            for (int i = 0; i < 10; i++) {
                JCudaDriver.cuEventRecord(start, null);
                JCudaDriver.cuMemcpyDtoD(to, from, size);
                JCudaDriver.cuEventRecord(stop, null);
                JCudaDriver.cuEventSynchronize(stop);
                JCudaDriver.cuEventElapsedTime(ms, start, stop);
                best = Math.min(best, ms[0]);
            }
            return 2.0 * size / (best / 1e3) / 1e9;
        } finally {
            JCudaDriver.cuEventDestroy(start);
            JCudaDriver.cuEventDestroy(stop);
            JCudaDriver.cuMemFree(from);
            JCudaDriver.cuMemFree(to);
        }
    }

    /** The bandwidth the device's attributes promise: two transfers a memory clock over the bus width. */
    public double devicePeakBandwidthGbs() {
        int[] clockKhz = new int[1];
        int[] busBits = new int[1];
        JCudaDriver.cuDeviceGetAttribute(clockKhz, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, dev);
        JCudaDriver.cuDeviceGetAttribute(busBits, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, dev);
        return 2.0 * clockKhz[0] * 1e3 * busBits[0] / 8 / 1e9;
    }

    /** Majority bundle of the vectors on the device; ties as {@link io.mnemocore.hdv.Bundler} breaks them. */
    public Hdv bundle(int dim, long[][] vectors) {
        JCudaDriver.cuCtxSetCurrent(ctx);
        int w = dim / 64;
        long[] all = new long[vectors.length * w];
        for (int i = 0; i < vectors.length; i++) {
            System.arraycopy(vectors[i], 0, all, i * w, w);
        }
        CUdeviceptr vs = upload(all);
        CUdeviceptr tie = upload(Hdv.random(dim, Hdv.TIE_BREAK_SEED).words());
        CUdeviceptr out = upload(new long[w]);
        launch(bundle, (dim + THREADS - 1) / THREADS, 1, THREADS, Pointer.to(Pointer.to(vs), Pointer.to(new int[] {vectors.length}),
                Pointer.to(new int[] {w}), Pointer.to(tie), Pointer.to(out)));
        JCudaDriver.cuCtxSynchronize();
        long[] result = new long[w];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(result), out, (long) w * Sizeof.LONG);
        JCudaDriver.cuMemFree(vs);
        JCudaDriver.cuMemFree(tie);
        JCudaDriver.cuMemFree(out);
        return Hdv.wrap(dim, result);
    }

    @Override
    public void close() {
        JCudaDriver.cuCtxSetCurrent(ctx);
        for (Mirror mi : mirrors.values()) {
            JCudaDriver.cuMemFree(mi.ptr);
        }
        mirrors.clear();
        queryBuf.free();
        keysBuf.free();
        distBuf.free();
        histBuf.free();
        rowsBuf.free();
        foundBuf.free();
        for (Scratch b : selectBufs) {
            b.free();
        }
        JCudaDriver.cuCtxDestroy(ctx);
    }
}
