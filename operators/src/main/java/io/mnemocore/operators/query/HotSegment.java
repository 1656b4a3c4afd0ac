package io.mnemocore.operators.query;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.kernel.FastCpuKernel;
import io.mnemocore.hdv.kernel.HammingKernel;
import io.mnemocore.hdv.kernel.HdvMatrix;
import io.mnemocore.hdv.kernel.TopK;
import io.mnemocore.hdv.kernel.TopKCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * One tenant's HOT memories on one subtask: a packed matrix of full vectors, a packed matrix of
 * their sketches (the first {@code sketchBits} bits of each vector, an unbiased sample of its
 * positions), and each row's id and LTP facts. Rows are removed by moving the last row into the
 * hole, so both matrices stay dense for sequential scans.
 */
final class HotSegment {
    /**
     * Allocates the matrices' next arrays before they are needed ({@link HdvMatrix#prepareGrowth}),
     * so a HOT index thread does not pay their page faults.
     */
    static final Executor ALLOCATOR = QueryPathPriority.normalWorker("hot-index-allocator");

    private final HdvMatrix full;
    private final HdvMatrix sketch;
    private final int sketchWords;
    private final List<String> ids = new ArrayList<>();
    /**
     * Each row's LTP facts, in columns written in place. An access that kept a memory HOT used to
     * store a new {@link HotFacts} into this long-lived list: at 5,000 accesses a second those
     * objects lived until the memory's next access, so every young GC copied them again and
     * scanned the list's dirty cards for them.
     */
    private double[] strength = new double[16];
    private long[] updatedMs = new long[16];
    private double[] halfLifeMs = new double[16];
    private long[] lastAccessMs = new long[16];
    /** Payload and context per row; the vector lives in the matrices. */
    private final List<HotMemory> content = new ArrayList<>();
    private final Map<String, Integer> rowOf = new HashMap<>();
    /** Rows the last approximate search ranked by exact distance (for {@code bench search}). */
    private int lastRanked;
    private boolean lastWidened;
    /** The search's scratch, kept so that a query does not allocate per row: every row's sketch distance, */
    private char[] sketchDistances = new char[0];
    /** and the rows within its cut. */
    private int[] rowScratch = new int[0];
    /** Rows per sketch distance (0..sketchBits), the search's other scratch. */
    private final int[] histogram;

    HotSegment(int dim, int sketchBits) {
        this.full = new HdvMatrix(dim, 64);
        this.sketchWords = sketchBits / 64;
        this.sketch = new HdvMatrix(sketchBits, 64);
        this.histogram = new int[sketchBits + 1];
    }

    int rows() {
        return full.rows();
    }

    /** Adds or replaces a memory; true when it is new here. */
    boolean upsert(String id, HotMemory m, HotFacts f) {
        HotMemory rest = new HotMemory();
        rest.payload = m.payload;
        rest.contextId = m.contextId;
        Integer r = rowOf.get(id);
        if (r == null) {
            full.add(m.hdv);
            sketch.add(Arrays.copyOf(m.hdv, sketchWords));
            full.prepareGrowth(ALLOCATOR);
            sketch.prepareGrowth(ALLOCATOR);
            ids.add(id);
            content.add(rest);
            int row = full.rows() - 1;
            rowOf.put(id, row);
            setFacts(row, f);
            return true;
        }
        full.set(r, m.hdv);
        sketch.set(r, Arrays.copyOf(m.hdv, sketchWords));
        if (f.updatedMs >= updatedMs[r]) { // a touch on the other edge may have brought newer facts (HotStore)
            setFacts(r, f);
        }
        content.set(r, rest);
        return false;
    }

    private void setFacts(int row, HotFacts f) {
        if (row >= strength.length) {
            int n = Math.max(row + 1, strength.length * 2);
            strength = Arrays.copyOf(strength, n);
            updatedMs = Arrays.copyOf(updatedMs, n);
            halfLifeMs = Arrays.copyOf(halfLifeMs, n);
            lastAccessMs = Arrays.copyOf(lastAccessMs, n);
        }
        strength[row] = f.strength;
        updatedMs[row] = f.updatedMs;
        halfLifeMs[row] = f.halfLifeMs;
        lastAccessMs[row] = f.lastAccessMs;
    }

    /**
     * New LTP facts for a memory already in the segment (an access that kept it HOT); ignored for
     * one not here (its removal overtook the touch) and when older than the facts held.
     */
    void updateFacts(String id, HotFacts f) {
        Integer r = rowOf.get(id);
        if (r != null && f.updatedMs >= updatedMs[r]) {
            setFacts(r, f);
        }
    }

    /** Removes a memory; true when it was here. */
    boolean remove(String id) {
        Integer r = rowOf.remove(id);
        if (r == null) {
            return false;
        }
        int moved = full.removeSwapLast(r);
        sketch.removeSwapLast(r);
        int last = ids.size() - 1;
        if (moved >= 0) {
            ids.set(r, ids.get(moved));
            strength[r] = strength[moved];
            updatedMs[r] = updatedMs[moved];
            halfLifeMs[r] = halfLifeMs[moved];
            lastAccessMs[r] = lastAccessMs[moved];
            content.set(r, content.get(moved));
            rowOf.put(ids.get(r), r);
        }
        ids.remove(last);
        content.remove(last);
        return true;
    }

    /**
     * The k nearest rows by Hamming distance. Approximate: scan the sketches for the
     * {@code k * oversample} best candidates, then rank by exact distance those whose sketch
     * distance is within {@code marginSigmas} standard deviations of the k-th best one (0: all of
     * them). The difference of two rows' sketch distances has a standard deviation of at most
     * sqrt(S/2) bits for an S-bit sketch (binomial sampling at p = 1/2), so a row beyond that
     * margin is behind the k-th candidate in full distance too, except with the normal tail
     * probability; on clustered data this ranks tens of rows instead of hundreds.
     *
     * <p>Where the neighbourhood is dense the candidate list can end inside the margin: rows as
     * close as its last one were cut off by the list's length, not by the margin, and recall falls
     * with no bound (recall@10 0.53 at 10,000 rows per center in {@code bench search} without this). The search then
     * widens to every row within the margin, or to the exact scan when that is more than half the rows.
     *
     * <p>Either way the rows ranked are those within the margin, so with a margin the search takes
     * every sketch distance from the kernel once and finds the k-th best and the margin's rows with
     * a histogram (sketch distances are at most {@code sketchBits}); only a margin of 0 keeps a
     * candidate list (the kernel's top-k).
     */
    TopK search(HammingKernel kernel, long[] query, int k, boolean approximate, int oversample, double marginSigmas) {
        int n = full.rows();
        int kk = Math.min(k, n);
        lastWidened = false;
        if (kk == 0) {
            return new TopK(new int[0], new int[0]);
        }
        if (!approximate) {
            return kernel.topK(full, query, kk);
        }
        int candidates = (int) Math.min(n, (long) kk * oversample);
        long[] sketchQuery = Arrays.copyOf(query, sketchWords);
        int[] rows;
        int ranked;
        if (marginSigmas > 0 && candidates > kk) {
            // The rows ranked are those within the margin of the k-th best sketch distance (all of
            // them, widened past the candidate list where it ends inside the margin). Sketch
            // distances are small integers, so a histogram finds the k-th one and how many rows lie
            // within the cut without a top-k heap: one pass computes and counts the distances
            // (16 bits each, to keep the scratch in cache), one collects the rows.
            if (sketchDistances.length < n) {
                sketchDistances = new char[Math.max(n, 2 * sketchDistances.length)];
            }
            char[] dist = sketchDistances;
            int[] hist = histogram;
            Arrays.fill(hist, 0);
            kernel.histogram(sketch, sketchQuery, dist, hist);
            int kth = 0;
            for (int seen = hist[0]; seen < kk; seen += hist[++kth]) {
                // the k-th best sketch distance
            }
            int cut = (int) Math.min(hist.length - 1, kth + (long) Math.ceil(marginSigmas * Math.sqrt(sketchWords * 64 / 2.0)));
            int within = 0;
            for (int d = 0; d <= cut; d++) {
                within += hist[d];
            }
            // The candidate list would have ended inside the margin: widen to every row within it.
            lastWidened = candidates < n && within >= candidates;
            if (lastWidened && within > n / 2) {
                lastRanked = n; // more than half the rows: the exact scan is cheaper
                return kernel.topK(full, query, kk);
            }
            if (rowScratch.length < within) {
                rowScratch = new int[Math.max(within, 2 * rowScratch.length)];
            }
            rows = rowScratch;
            ranked = within;
            kernel.rowsWithin(sketch, dist, cut, rows, within); // ascending: the exact pass walks the matrix forwards
        } else {
            TopK c = kernel.topK(sketch, sketchQuery, candidates);
            ranked = c.size();
            rows = new int[ranked];
            for (int i = 0; i < ranked; i++) {
                rows[i] = c.row(i);
            }
            Arrays.sort(rows); // ascending rows: the exact pass walks the matrix forwards
        }
        lastRanked = ranked;
        TopKCollector exact = new TopKCollector(kk);
        FastCpuKernel.rankRows(full.data(), full.wordsPerRow(), query, rows, ranked, exact);
        return exact.result();
    }

    /**
     * What a warm-up did: its searches near a cluster of rows and how many of them found that
     * cluster first, then how many of its {@link #SHORT_SEARCHES} short searches found their row first.
     */
    record WarmUp(int near, int found, int shortFound) {}

    /**
     * Short searches that end a warm-up (see {@link #warmUp}): more than the calls after which the
     * JIT compiles a method's ordinary entry with C2 (HotSpot's Tier4InvocationThreshold, 5,000).
     */
    static final int SHORT_SEARCHES = 8000;

    /**
     * Runs {@code searches} searches over made-up rows, so that the JIT compiles the search before
     * the first query needs it ({@link HotIndex}). Rows and queries take every branch of the search,
     * as real ones do: compiled code that has never seen a branch is thrown away when a query takes
     * it, and recompiled under load (README, Figures, "Twenty-third pass"). So: clusters of 1 to 256
     * rows (each a center with a sixteenth of its bits flipped, queries likewise), so that the rows
     * ranked come in any number; one query in 32 far from every row, so that the search widens to
     * the exact scan; and one in 8 in a tenant too small for the two-stage search. All of the near
     * queries find their own cluster first (about D/8 bits away, against D/2 for the others) unless
     * the search is broken.
     *
     * <p>Those searches run the kernels' loops over thousands of rows each, so the JIT compiles the
     * loops as on-stack replacements, entered mid-loop, but compiles the kernels' ordinary entries
     * only after thousands of calls. Without more calls here, the real queries made them, when the
     * one C2 thread of a 2-core machine was busy with the rest of the job: a search entered the
     * kernels in C1's profiling code for 5–16 s, and once the HOT index took all the CPU it was
     * given and held the queries up for a second (README, Figures, "Twenty-seventh pass"). So the
     * warm-up ends with {@link #SHORT_SEARCHES} searches of the nearest row in 256 rows, which cost
     * little and make those calls.
     */
    static WarmUp warmUp(HammingKernel kernel, int dim, boolean approximate, int approximateMinRows, int sketchBits,
                         int oversample, double marginSigmas, int rows, int searches, long seed) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        List<long[]> centers = new ArrayList<>();
        int[] clusterOf = new int[rows];
        HotSegment big = new HotSegment(dim, sketchBits);
        HotFacts facts = new HotFacts();
        for (int row = 0; row < rows; ) {
            long[] center = Hdv.random(dim, rnd.nextLong()).words();
            centers.add(center);
            for (int n = 1 + rnd.nextInt(256); n > 0 && row < rows; n--, row++) {
                HotMemory m = new HotMemory();
                m.hdv = nearby(center, rnd);
                big.upsert(Integer.toString(row), m, facts);
                clusterOf[row] = centers.size() - 1;
            }
        }
        HotSegment small = new HotSegment(dim, sketchBits);
        int smallRows = Math.max(1, Math.min(64, approximateMinRows - 1));
        for (int row = 0; row < smallRows; row++) {
            HotMemory m = new HotMemory();
            m.hdv = Hdv.random(dim, rnd.nextLong()).words();
            small.upsert(Integer.toString(row), m, facts);
        }
        int near = 0, found = 0;
        for (int q = 0; q < searches; q++) {
            HotSegment seg = q % 8 == 3 ? small : big;
            int c = rnd.nextInt(centers.size());
            long[] query = q % 32 != 31 && seg == big ? nearby(centers.get(c), rnd) : Hdv.random(dim, rnd.nextLong()).words();
            TopK top = seg.search(kernel, query, 10, approximate && seg.rows() >= approximateMinRows, oversample, marginSigmas);
            if (seg == big && q % 32 != 31) {
                near++;
                if (top.size() > 0 && clusterOf[top.row(0)] == c) {
                    found++;
                }
            }
        }
        HotSegment few = new HotSegment(dim, sketchBits);
        long[][] fewRows = new long[256][];
        for (int row = 0; row < fewRows.length; row++) {
            fewRows[row] = row % 8 == 0 ? Hdv.random(dim, rnd.nextLong()).words() : nearby(fewRows[row - row % 8], rnd);
            HotMemory m = new HotMemory();
            m.hdv = fewRows[row];
            few.upsert(Integer.toString(row), m, facts);
        }
        int shortFound = 0;
        for (int q = 0; q < SHORT_SEARCHES; q++) {
            int row = rnd.nextInt(fewRows.length);
            TopK top = few.search(kernel, fewRows[row], 1, approximate, oversample, marginSigmas);
            if (top.size() == 1 && top.row(0) == row) {
                shortFound++;
            }
        }
        return new WarmUp(near, found, shortFound);
    }

    private static long[] nearby(long[] center, java.util.SplittableRandom rnd) {
        long[] v = center.clone();
        for (int w = 0; w < v.length; w++) {
            v[w] ^= rnd.nextLong() & rnd.nextLong() & rnd.nextLong() & rnd.nextLong();
        }
        return v;
    }

    /** Whether the last approximate search widened past its candidate list (see {@link #search}). */
    boolean lastWidened() {
        return lastWidened;
    }

    int lastRanked() {
        return lastRanked;
    }

    HdvMatrix full() {
        return full;
    }

    HdvMatrix sketches() {
        return sketch;
    }

    /** The row of a memory, or -1. */
    int rowOf(String id) {
        Integer r = rowOf.get(id);
        return r == null ? -1 : r;
    }

    /** A row as a HOT hit at {@code distance}, its facts read straight from the columns. */
    Hit hit(int row, int distance) {
        HotMemory c = content.get(row);
        return Hit.of(ids.get(row), distance, "hot", strength[row], updatedMs[row], halfLifeMs[row], lastAccessMs[row],
                c.contextId, c.payload);
    }
}
