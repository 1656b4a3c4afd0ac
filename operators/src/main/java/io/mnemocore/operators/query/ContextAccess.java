package io.mnemocore.operators.query;

/**
 * A use of a memory in a context, from the consolidator to {@link ActiveInference}: an access that
 * named a context_id, or (with {@code deleted}) the deletion of a memory, sent to its own context.
 */
public class ContextAccess {
    public String tenant;
    public String contextId;
    public String memoryId;
    /** Event time of the access (epoch ms). */
    public long atMs;
    public boolean deleted;

    public ContextAccess() {}

    public ContextAccess(String tenant, String contextId, String memoryId, long atMs, boolean deleted) {
        this.tenant = tenant;
        this.contextId = contextId;
        this.memoryId = memoryId;
        this.atMs = atMs;
        this.deleted = deleted;
    }

    /** The key of {@link ActiveInference}: tenant and context ('/' cannot occur in a tenant). */
    public static String key(String tenant, String contextId) {
        return tenant + "/" + (contextId == null ? "" : contextId);
    }
}
