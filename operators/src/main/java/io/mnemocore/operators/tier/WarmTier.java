package io.mnemocore.operators.tier;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * The WARM tier's store: Qdrant in production ({@link QdrantWarmTier}), or the embedded,
 * file-backed {@link EmbeddedWarmStore} when no Qdrant URL is configured. Same semantics for both:
 * one point per (tenant, memory_id) under a deterministic id, idempotent upsert and delete, and
 * every search filtered to one tenant and ranked by exact Hamming distance.
 */
public interface WarmTier extends AutoCloseable {

    /** Applies upserts and deletes in order; a later op on the same point wins. Visible to searches on return. */
    void apply(List<Op> ops) throws IOException;

    /** Makes everything applied so far durable (the sink calls it before a checkpoint completes). */
    void sync() throws IOException;

    /** The k nearest points of one tenant by Hamming distance (ties: lower memory_id first). */
    List<WarmHit> search(String tenant, long[] hdv, int k) throws IOException;

    /** One point, or null. */
    WarmPoint get(String tenant, String memoryId) throws IOException;

    /** Points held for a tenant. */
    long count(String tenant) throws IOException;

    @Override
    void close() throws IOException;

    /** Fetches the best {@code n} points of a tenant by distance alone (ties in any order). */
    interface Nearest {
        List<WarmHit> best(int n) throws IOException;
    }

    /**
     * The k nearest, ties at the k-th distance ordered by memory_id: fetch a few more than k, and
     * more while the last fetched point still ties with the k-th, so the order is exact, not likely.
     */
    static List<WarmHit> nearest(int k, Nearest store) throws IOException {
        int n = k + 16;
        List<WarmHit> got = store.best(n);
        while (got.size() == n && got.size() > k && got.get(n - 1).distance == kth(got, k)) {
            n *= 2;
            got = store.best(n);
        }
        List<WarmHit> out = new java.util.ArrayList<>(got);
        out.sort(java.util.Comparator.<WarmHit>comparingInt(h -> h.distance).thenComparing(h -> h.point.memoryId));
        return new java.util.ArrayList<>(out.subList(0, Math.min(k, out.size())));
    }

    private static int kth(List<WarmHit> hits, int k) {
        return hits.stream().mapToInt(h -> h.distance).sorted().skip(k - 1).findFirst().orElse(Integer.MAX_VALUE);
    }

    /** The point id of a memory: a name-based UUID of (tenant, memory_id), so retries overwrite, never duplicate. */
    static UUID pointId(String tenant, String memoryId) {
        return UUID.nameUUIDFromBytes((tenant + "\u0000" + memoryId).getBytes(StandardCharsets.UTF_8));
    }

    /** An upsert (point set) or a delete (point null). */
    final class Op {
        public final String tenant;
        public final String memoryId;
        public final WarmPoint point;

        private Op(String tenant, String memoryId, WarmPoint point) {
            this.tenant = tenant;
            this.memoryId = memoryId;
            this.point = point;
        }

        public static Op upsert(WarmPoint p) {
            return new Op(p.tenant, p.memoryId, p);
        }

        public static Op delete(String tenant, String memoryId) {
            return new Op(tenant, memoryId, null);
        }

        public UUID id() {
            return pointId(tenant, memoryId);
        }
    }
}
