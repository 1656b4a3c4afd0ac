package io.mnemocore.operators.codec;

import io.mnemocore.hdv.Hdv;
import java.io.Serializable;
import java.util.List;

/** Bounds the decoder enforces; they come from the {@code haim.codec.*} config keys. */
public final class CodecLimits implements Serializable {
    private static final long serialVersionUID = 1L;

    public final int dim;
    public final int maxEventBytes;
    public final int maxIdLength;
    public final int maxTextLength;
    public final int maxPayloadBytes;
    public final int maxK;
    public final int maxMemoryIds;
    /**
     * The streams the job itself reads or writes (bus, query stream, DLQ, transition log), which a
     * query's {@code reply_to} may not name: a reply there would be read back as a bad event, or
     * mixed into the DLQ or the audit log. An entry ending in ':' reserves every stream it begins
     * (the per-tenant streams {@code <stream>:<tenant>} the job reads when it discovers them).
     */
    public final List<String> reservedStreams;

    public CodecLimits(int dim, int maxEventBytes, int maxIdLength, int maxTextLength,
                       int maxPayloadBytes, int maxK, int maxMemoryIds) {
        this(dim, maxEventBytes, maxIdLength, maxTextLength, maxPayloadBytes, maxK, maxMemoryIds, List.of());
    }

    private CodecLimits(int dim, int maxEventBytes, int maxIdLength, int maxTextLength,
                        int maxPayloadBytes, int maxK, int maxMemoryIds, List<String> reservedStreams) {
        Hdv.checkDim(dim);
        this.dim = dim;
        this.maxEventBytes = maxEventBytes;
        this.maxIdLength = maxIdLength;
        this.maxTextLength = maxTextLength;
        this.maxPayloadBytes = maxPayloadBytes;
        this.maxK = maxK;
        this.maxMemoryIds = maxMemoryIds;
        this.reservedStreams = List.copyOf(reservedStreams);
    }

    /** These limits, with {@code streams} as the job's own streams or, ending in ':', families of them (see {@link #reservedStreams}). */
    public CodecLimits withReservedStreams(String... streams) {
        return new CodecLimits(dim, maxEventBytes, maxIdLength, maxTextLength, maxPayloadBytes, maxK, maxMemoryIds, List.of(streams));
    }

    /** The entry of {@link #reservedStreams} that reserves {@code stream}; null if none. */
    public String reservedStreamOf(String stream) {
        for (String r : reservedStreams) {
            if (r.endsWith(":") ? stream.startsWith(r) : stream.equals(r)) {
                return r;
            }
        }
        return null;
    }

    /** The defaults of {@code conf/mnemocore.yaml} for a given dimensionality. */
    public static CodecLimits defaults(int dim) {
        return new CodecLimits(dim, 262_144, 256, 16_384, 65_536, 1_000, 10_000)
                .withReservedStreams("haim:subconscious", "haim:queries", "haim:dlq", "haim:transitions");
    }
}
