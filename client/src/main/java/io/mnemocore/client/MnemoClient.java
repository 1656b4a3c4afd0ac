package io.mnemocore.client;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.codec.CodecLimits;
import io.mnemocore.operators.codec.DecodeResult;
import io.mnemocore.operators.codec.EventCodec;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.LtpConsolidator;
import io.mnemocore.operators.ltp.MemoryState;
import io.mnemocore.operators.ltp.MemoryStateSerializer;
import io.mnemocore.operators.query.QueryReply;
import io.mnemocore.operators.query.QueryResults;
import io.mnemocore.operators.query.ReplyCodec;
import io.mnemocore.operators.redis.RedisConnectionConfig;
import io.mnemocore.operators.redis.RedisStreams;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.queryablestate.client.QueryableStateClient;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.XAddParams;

/**
 * A small client of a running MnemoCore job. {@link #store} and {@link #forget} write events to
 * the bus, {@link #query} writes to the query stream and waits for the reply on this client's own
 * reply stream for the tenant, {@link #inspect} reads a memory's state through Flink queryable state.
 * The streams may be a tenant's own ({@code haim.redis.tenant_streams}).
 */
public final class MnemoClient implements AutoCloseable {
    private final JedisPooled redis;
    private final EventCodec codec;
    private final int dim;
    private final String eventStream;
    private final String queryStream;
    /**
     * This client's reply streams, one per tenant ({@code <prefix>:<tenant>}): on a tenant's query
     * stream the job replies only into streams of that tenant. Each with the id of the last entry read.
     */
    private final String replyPrefix = "haim:replies:client-" + UUID.randomUUID();
    private final Map<String, String> replyCursors = new java.util.LinkedHashMap<>();
    private final String qsHost;
    private final int qsPort;
    private QueryableStateClient qs;

    /**
     * A client of a job with the default {@code haim.codec} limits.
     *
     * @param dim the job's haim.dimensionality
     * @param qsHost host of a TaskManager's queryable state proxy (port {@code qsPort}, Flink's default 9069)
     */
    public MnemoClient(String redisUrl, String eventStream, String queryStream, int dim, String qsHost, int qsPort) {
        this(redisUrl, eventStream, queryStream, CodecLimits.defaults(dim), qsHost, qsPort);
    }

    /**
     * @param limits the job's {@code haim.codec} limits and dimensionality: an event the job would
     *     send to its DLQ is refused here instead, with the same reason
     */
    public MnemoClient(String redisUrl, String eventStream, String queryStream, CodecLimits limits, String qsHost, int qsPort) {
        this.redis = new RedisConnectionConfig(redisUrl, 4, 10_000).createClient();
        this.codec = new EventCodec(limits);
        this.dim = limits.dim;
        this.eventStream = eventStream;
        this.queryStream = queryStream;
        this.qsHost = qsHost;
        this.qsPort = qsPort;
    }

    /** Writes a memory with a text (encoded by the job) or a vector; returns its memory_id. */
    public String store(String tenant, String memoryId, String text, long[] hdv, String contextId, Double ltpStrength) {
        MemoryEvent e = new MemoryEvent();
        e.type = EventType.MEMORY_WRITE;
        e.tenant = tenant;
        e.memoryId = memoryId != null ? memoryId : "mem-" + UUID.randomUUID();
        e.text = text;
        e.hdv = hdv;
        e.contextId = contextId;
        if (ltpStrength != null) {
            e.ltpStrength = ltpStrength;
        }
        send(eventStream, e);
        return e.memoryId;
    }

    /** Deletes a memory (HOT, WARM and state; see the README for COLD). */
    public void forget(String tenant, String memoryId) {
        MemoryEvent e = new MemoryEvent();
        e.type = EventType.MEMORY_DELETE;
        e.tenant = tenant;
        e.memoryId = memoryId;
        send(eventStream, e);
    }

    /** Sends a query and blocks until its reply arrives on this client's reply stream, or the timeout passes. */
    public QueryReply query(String tenant, String text, long[] hdv, String contextId, int k, Duration timeout)
            throws IOException, TimeoutException {
        MemoryEvent e = queryEvent(EventType.QUERY, "q-", tenant, contextId, k);
        e.text = text;
        e.hdv = hdv;
        return ask(e, timeout);
    }

    /**
     * Asks what the context will use next ({@code inference.predict}): the reply's {@code predicted}
     * lists the memory ids, its hits those found in HOT or WARM; the job pre-warms them. The
     * prediction comes from the context's history; no context vector is sent (all zeros).
     */
    public QueryReply predict(String tenant, String contextId, int k, int predictionWindowS, Duration timeout)
            throws IOException, TimeoutException {
        return predict(tenant, contextId, null, k, predictionWindowS, timeout);
    }

    /**
     * As {@link #predict(String, String, int, int, Duration)}, with a context vector: where the
     * context's history predicts nothing (or {@code contextId} is null, as in the blueprint's event),
     * the memories nearest to {@code contextHdv} are the prediction. Null sends all zeros: none.
     */
    public QueryReply predict(String tenant, String contextId, long[] contextHdv, int k, int predictionWindowS, Duration timeout)
            throws IOException, TimeoutException {
        if (contextHdv != null && contextHdv.length != dim / 64) {
            throw new IllegalArgumentException("the context vector has " + contextHdv.length * 64 + " bits, the job " + dim);
        }
        MemoryEvent e = queryEvent(EventType.INFERENCE_PREDICT, "p-", tenant, contextId, k);
        e.hdv = contextHdv != null ? contextHdv : new long[dim / 64]; // the schema requires a context_hdv
        e.predictionWindowS = predictionWindowS;
        return ask(e, timeout);
    }

    private MemoryEvent queryEvent(EventType type, String idPrefix, String tenant, String contextId, int k) {
        if (k < 1) {
            // 0 would go out as "no k", which the job answers with its default of 10.
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        MemoryEvent e = new MemoryEvent();
        e.type = type;
        e.tenant = tenant;
        e.queryId = idPrefix + UUID.randomUUID();
        e.contextId = contextId;
        e.k = k;
        e.replyTo = replyPrefix + ":" + tenant;
        return e;
    }

    /** Sends a query or prediction and blocks until its reply arrives on this client's reply stream. */
    private QueryReply ask(MemoryEvent e, Duration timeout) throws IOException, TimeoutException {
        send(queryStream, e);
        String queryId = e.queryId;
        String stream = e.replyTo;
        replyCursors.putIfAbsent(stream, "0-0");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            for (RedisStreams.Entry entry : RedisStreams.readAfter(redis, stream, replyCursors.get(stream), 100, waitMs)) {
                replyCursors.put(stream, entry.id);
                byte[] data = entry.field(RedisStreams.DATA);
                QueryReply r = ReplyCodec.decode(data);
                if (queryId.equals(r.queryId)) {
                    return r;
                }
            }
        }
        throw new TimeoutException("no reply to " + queryId + " within " + timeout + " (is the job running?)");
    }

    // The state names are the job's own compile-time constants (inlined: no Flink runtime class is loaded here).

    /** A memory's state, read from the running job through queryable state; null if it has none. */
    public MemoryState inspect(JobID job, String tenant, String memoryId) throws IOException, InterruptedException {
        return queryState(job, new ValueStateDescriptor<>(LtpConsolidator.STATE_NAME, MemoryStateSerializer.INSTANCE), tenant + "/" + memoryId);
    }

    /** A recent reply, by query_id, from the job's queryable state (kept for haim.search.result_ttl_s); null if gone. */
    public QueryReply recentResult(JobID job, String queryId) throws IOException, InterruptedException {
        return queryState(job, new ValueStateDescriptor<>(QueryResults.RESULT_STATE, QueryReply.class), queryId);
    }

    private <V> V queryState(JobID job, ValueStateDescriptor<V> d, String key) throws IOException, InterruptedException {
        if (qs == null) {
            qs = new QueryableStateClient(qsHost, qsPort);
            // Builds the POJO serializers of the replies exactly as the job does (defaults).
            qs.setExecutionConfig(new ExecutionConfig());
            qs.setUserClassLoader(MnemoClient.class.getClassLoader());
        }
        try {
            ValueState<V> s = qs.getKvState(job, d.getName(), key, Types.STRING, d).get(30, TimeUnit.SECONDS);
            return s.value();
        } catch (ExecutionException | TimeoutException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (String.valueOf(c.getMessage()).contains("UnknownKeyOrNamespaceException")
                    || c.getClass().getSimpleName().equals("UnknownKeyOrNamespaceException")) {
                return null;
            }
            boolean refused = false;
            for (Throwable t = c; t != null && !refused; t = t.getCause()) {
                refused = t instanceof java.net.ConnectException;
            }
            throw new IOException("queryable state " + d.getName() + " at " + qsHost + ":" + qsPort + " did not answer for job " + job + ": "
                    + c.getMessage() + (refused ? " (nothing listens there: is the job running, and is that its queryable-state proxy port?)" : ""), c);
        }
    }

    public int dimensionality() {
        return dim;
    }

    /** The vector a caller passes as {@code hdv}, from numpy.packbits bytes. */
    public long[] fromPacked(byte[] packed) {
        return Hdv.fromPacked(packed, dim).words();
    }

    /**
     * Sends an event the job will accept. One it would reject (a bad tenant, a strength outside
     * [0, 1], k out of range, ...) throws here, by the job's own decoder: sent, it would only reach
     * the DLQ while the caller went on as if it had been stored, or waited for a reply.
     */
    private void send(String stream, MemoryEvent e) {
        byte[] data = codec.encode(e);
        DecodeResult check = codec.decode(data, null, null);
        if (!check.isOk()) {
            throw new IllegalArgumentException("the job would reject this " + e.type.wire() + " ("
                    + check.error().reason().code() + "): " + check.error().detail());
        }
        redis.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(), Map.of(RedisStreams.DATA, data));
    }

    @Override
    public void close() {
        if (!replyCursors.isEmpty()) {
            redis.del(replyCursors.keySet().toArray(new String[0]));
        }
        redis.close();
        if (qs != null) {
            qs.shutdownAndWait();
        }
    }

    /** For callers that need the stream names: events, queries, and the reply streams used so far. */
    public List<String> streams() {
        List<String> all = new java.util.ArrayList<>(List.of(eventStream, queryStream));
        all.addAll(replyCursors.keySet());
        return all;
    }
}
