package io.mnemocore.hdv.encode;

import io.mnemocore.hdv.Hdv;
import java.util.ArrayList;
import java.util.List;

/** Text → HDV. Implementations are deterministic: the same text gives the same HDV everywhere. */
public interface TextEncoder {

    String name();

    int dim();

    Hdv encode(String text);

    /** Encodes many texts; implementations override this where batching is cheaper. */
    default List<Hdv> encodeBatch(List<String> texts) {
        List<Hdv> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(encode(t));
        }
        return out;
    }

    /**
     * Context binding from the blueprint: {@code encode(text) XOR hdv(context_id)}. The same text
     * in another context lands at ≈ D/2, so a query must carry the context it was stored under. A
     * null or empty context leaves the content vector unbound.
     */
    default Hdv encode(String text, String contextId) {
        return bindContext(encode(text), contextId);
    }

    static Hdv bindContext(Hdv content, String contextId) {
        if (contextId == null || contextId.isEmpty()) {
            return content;
        }
        return content.bind(Hdv.fromId("context:" + contextId, content.dim()));
    }
}
