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
