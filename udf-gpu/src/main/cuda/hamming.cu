// MnemoCore GPU Hamming kernels. Packed HDVs: a row of W 64-bit words per vector, rows contiguous
// (the same layout as HdvMatrix). Results equal the CPU kernels bit for bit, ties included:
// a candidate is the 64-bit key (distance << 32 | row), so ordering by key orders by distance,
// then by the lower row.
//
// Built to PTX by build-ptx.sh (nvcc -ptx); the PTX is checked in beside the Java loader, so a
// build without nvcc still ships a working kernel. Loaded through the CUDA driver API only.

typedef unsigned long long u64;

#define WARP 32
#define SORT_N 1024   // keys sorted per block by topk_reduce (blockDim.x == SORT_N / 2)

// Sums d over the warp; lane 0 holds the total. Every lane of the warp must call it.
__device__ __forceinline__ int warp_sum(int d) {
    for (int off = WARP / 2; off > 0; off >>= 1) d += __shfl_down_sync(0xffffffffu, d, off);
    return d;
}

// The distance of one row to q, for a warp: lane j reads words j, j+32, ... (consecutive lanes,
// consecutive addresses: coalesced) and popcounts them; lane 0 gets the total.
__device__ __forceinline__ int warp_distance(const u64* __restrict__ row, const u64* __restrict__ q, int words, int lane) {
    int d = 0;
    for (int w = lane; w < words; w += WARP) d += __popcll(row[w] ^ q[w]);
    return warp_sum(d);
}

// One warp per row; writes one key per row.
extern "C" __global__ void hamming_keys(const u64* __restrict__ m, const u64* __restrict__ q,
                                        int rows, int words, u64* __restrict__ keys) {
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) / WARP;
    int lane = threadIdx.x & (WARP - 1);
    if (warp >= rows) return;
    int d = warp_distance(m + (size_t) warp * words, q, words, lane);
    if (lane == 0) keys[warp] = ((u64) (unsigned) d << 32) | (unsigned) warp;
}

// Batch: a warp loads its row once into registers (words <= 32 * MAX_PER_LANE) and reuses it for
// every query; queries are read through the cache, shared by all warps. keys[qi * rows + row].
#define MAX_PER_LANE 16
extern "C" __global__ void hamming_keys_batch(const u64* __restrict__ m, const u64* __restrict__ qs,
                                              int rows, int words, int nq, u64* __restrict__ keys) {
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) / WARP;
    int lane = threadIdx.x & (WARP - 1);
    if (warp >= rows) return;
    const u64* row = m + (size_t) warp * words;
    u64 r[MAX_PER_LANE];
    int n = 0;
    for (int w = lane; w < words && n < MAX_PER_LANE; w += WARP) r[n++] = row[w];
    for (int qi = 0; qi < nq; qi++) {
        const u64* q = qs + (size_t) qi * words;
        int d = 0, i = 0;
        for (int w = lane; w < words && i < MAX_PER_LANE; w += WARP) d += __popcll(r[i++] ^ q[w]);
        d = warp_sum(d);
        if (lane == 0) keys[(size_t) qi * rows + warp] = ((u64) (unsigned) d << 32) | (unsigned) warp;
    }
}

// One selection round: block b sorts keys [b*SORT_N, (b+1)*SORT_N) of segment s (bitonic sort in
// shared memory; missing keys are ~0) and writes its k smallest to out[s][b*k ...]. Repeated on
// the host until one block remains, so only k keys per query ever leave the device.
// grid = (blocksPerSegment, segments); n = keys per segment; k <= SORT_N.
extern "C" __global__ void topk_reduce(const u64* __restrict__ in, int n, int k, u64* __restrict__ out) {
    __shared__ u64 s[SORT_N];
    const u64* seg = in + (size_t) blockIdx.y * n;
    int outPerSeg = gridDim.x * k;
    int base = blockIdx.x * SORT_N;
    for (int i = threadIdx.x; i < SORT_N; i += blockDim.x) {
        int g = base + i;
        s[i] = g < n ? seg[g] : ~0ULL;
    }
    __syncthreads();
    for (int size = 2; size <= SORT_N; size <<= 1) {
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            for (int i = threadIdx.x; i < SORT_N / 2; i += blockDim.x) {
                int lo = 2 * i - (i & (stride - 1));
                int hi = lo + stride;
                bool up = ((lo & size) == 0);
                u64 a = s[lo], b = s[hi];
                if ((a > b) == up) { s[lo] = b; s[hi] = a; }
            }
            __syncthreads();
        }
    }
    for (int i = threadIdx.x; i < k; i += blockDim.x) {
        out[(size_t) blockIdx.y * outPerSeg + (size_t) blockIdx.x * k + i] = s[i];
    }
}

// Majority bundle of n vectors: thread per bit. A bit is set when more than half the vectors
// have it; with an even n, an exact half takes the tie vector's bit (as the CPU Bundler does).
extern "C" __global__ void bundle_majority(const u64* __restrict__ vs, int n, int words,
                                           const u64* __restrict__ tie, u64* __restrict__ out) {
    int bit = blockIdx.x * blockDim.x + threadIdx.x;
    if (bit >= words * 64) return;
    int w = bit >> 6, b = bit & 63;
    int c = 0;
    for (int i = 0; i < n; i++) c += (int) ((vs[(size_t) i * words + w] >> b) & 1ULL);
    int half = n / 2;
    int set = (c > half) || ((n % 2 == 0) && c == half && ((tie[w] >> b) & 1ULL));
    // 64 consecutive threads share a word: two warps, each builds its 32-bit half with a ballot.
    unsigned bits = __ballot_sync(0xffffffffu, set);
    if ((threadIdx.x & 31) == 0) {
        atomicOr(&out[w], ((u64) bits) << (b & 32));
    }
}

// The HOT index's sketch pass, first half: each row's distance to the query (16 bits, kept on the
// device for rows_within) and their histogram, so only bins counts cross the bus, not N
// distances. One warp per row (warp_distance); each block counts in shared memory (bins
// entries, dynamic) and adds its counts to the global histogram. No thread returns early: every
// thread reaches both barriers.
extern "C" __global__ void sketch_histogram(const u64* __restrict__ m, const u64* __restrict__ q, int rows,
                                            int words, unsigned short* __restrict__ dist, int bins,
                                            unsigned int* __restrict__ hist) {
    extern __shared__ unsigned int counts[];
    for (int i = threadIdx.x; i < bins; i += blockDim.x) counts[i] = 0;
    __syncthreads();
    int warp = (blockIdx.x * blockDim.x + threadIdx.x) / WARP;
    int lane = threadIdx.x & (WARP - 1);
    if (warp < rows) { // the same for every lane of a warp, so the full-mask shuffle is safe
        int d = warp_distance(m + (size_t) warp * words, q, words, lane);
        if (lane == 0) {
            dist[warp] = (unsigned short) d;
            atomicAdd(&counts[d], 1u);
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < bins; i += blockDim.x) {
        if (counts[i] != 0) atomicAdd(&hist[i], counts[i]);
    }
}

// Second half: the rows at distance <= cut, in no particular order (the host sorts them). found
// counts them all; at most cap are written, so a wrong cap cannot write past out.
extern "C" __global__ void rows_within(const unsigned short* __restrict__ dist, int rows, int cut, int* __restrict__ out,
                                       int cap, unsigned int* __restrict__ found) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r < rows && dist[r] <= cut) {
        unsigned int i = atomicAdd(found, 1u);
        if (i < (unsigned int) cap) out[i] = r;
    }
}
