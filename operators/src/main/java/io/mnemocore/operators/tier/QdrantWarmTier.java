package io.mnemocore.operators.tier;

import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.ValueFactory.nullValue;
import static io.qdrant.client.ValueFactory.value;

import io.grpc.Status;
import io.mnemocore.hdv.Hdv;
import io.mnemocore.operators.redis.Backoff;
import io.qdrant.client.PointIdFactory;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.VectorsFactory;
import io.qdrant.client.grpc.Collections;
import io.qdrant.client.grpc.Common;
import io.qdrant.client.grpc.JsonWithInt;
import io.qdrant.client.grpc.Points;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The WARM tier in Qdrant, through the official gRPC client ({@code io.qdrant:client}).
 *
 * <p>Qdrant has no Hamming distance. Each HDV is stored as D values 0/1 with datatype
 * {@code uint8} and distance {@code Manhattan}: Σ|aᵢ − bᵢ| over 0/1 values is exactly the Hamming
 * distance, so Qdrant's score is the distance itself and ranks as Hamming does. That costs D
 * bytes per original vector (16 KB at D = 16,384; the smallest exact form Qdrant stores: ±1 with Dot
 * needs float16, 32 KB), kept on disk; binary quantization turns each value into one bit
 * ({@code > 0}), which for 0/1 values is the HDV itself, 2 KB per point in RAM.
 *
 * <p>Every call has a deadline, bounded retries with backoff, and goes through a circuit breaker;
 * a refusal (a bad key, a bad request) is reported at once, neither retried nor counted as an outage.
 */
public final class QdrantWarmTier implements WarmTier {
    private final WarmTierSpec spec;
    private final QdrantGrpcClient client;
    private final CircuitBreaker breaker;
    private volatile boolean ready;

    public QdrantWarmTier(WarmTierSpec spec) throws IOException {
        this.spec = spec;
        URI u = URI.create(spec.qdrantUrl);
        boolean tls = "https".equals(u.getScheme()) || "grpcs".equals(u.getScheme());
        // gRPC listens on 6334; the blueprint's URL names the REST port 6333, which cannot speak gRPC.
        int port = u.getPort() <= 0 || u.getPort() == 6333 ? 6334 : u.getPort();
        QdrantGrpcClient.Builder b = QdrantGrpcClient.newBuilder(u.getHost(), port, tls, false);
        if (!spec.apiKey.isEmpty()) {
            b.withApiKey(spec.apiKey);
        }
        this.client = b.build();
        this.breaker = new CircuitBreaker(spec.breakerFailures, spec.breakerResetMs);
    }

    private interface Call<T> {
        Future<T> start();
    }

    private <T> T call(String what, Call<T> c) throws IOException {
        Backoff backoff = new Backoff(100, 2_000);
        IOException last = null;
        for (int attempt = 0; attempt <= spec.retries; attempt++) {
            long now = System.currentTimeMillis();
            if (!breaker.allow(now)) {
                throw new IOException("Qdrant circuit breaker is open after repeated failures (" + what + " not sent to " + spec.qdrantUrl + ")");
            }
            try {
                T r = c.start().get(spec.timeoutMs, TimeUnit.MILLISECONDS);
                breaker.success();
                return r;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted during Qdrant " + what, e);
            } catch (ExecutionException e) {
                Status.Code code = Status.fromThrowable(e.getCause()).getCode();
                if (isAnswer(code)) {
                    breaker.success(); // Qdrant is up and said no: retrying cannot change that
                    String msg = "Qdrant " + what + " refused at " + spec.qdrantUrl + ": " + e.getCause();
                    throw code == Status.Code.ALREADY_EXISTS ? new AlreadyExists(msg, e) : new IOException(msg, e);
                }
                breaker.failure(System.currentTimeMillis());
                last = new IOException("Qdrant " + what + " failed at " + spec.qdrantUrl + ": " + e.getCause(), e);
            } catch (TimeoutException e) {
                breaker.failure(System.currentTimeMillis());
                last = new IOException("Qdrant " + what + " timed out after " + spec.timeoutMs + " ms at " + spec.qdrantUrl, e);
            }
            if (attempt < spec.retries) {
                try {
                    Thread.sleep(backoff.nextDelayMs());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw last;
                }
            }
        }
        throw last;
    }

    /**
     * Codes that are Qdrant's answer to the request (a bad key, a bad request, a collection that is
     * already there), not a sign that it is down: not retried, not counted by the breaker.
     */
    static boolean isAnswer(Status.Code code) {
        switch (code) {
            case ALREADY_EXISTS:
            case NOT_FOUND:
            case INVALID_ARGUMENT:
            case FAILED_PRECONDITION:
            case OUT_OF_RANGE:
            case UNAUTHENTICATED:
            case PERMISSION_DENIED:
            case UNIMPLEMENTED:
                return true;
            default:
                return false; // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, ...
        }
    }

    private static final class AlreadyExists extends IOException {
        AlreadyExists(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Creates the collection and its tenant index on first use (idempotent). */
    private synchronized void ensureCollection() throws IOException {
        if (ready) {
            return;
        }
        boolean exists = call("collection check", () -> client.collections().collectionExists(
                Collections.CollectionExistsRequest.newBuilder().setCollectionName(spec.collection).build())).getResult().getExists();
        if (!exists) {
            Collections.VectorParams.Builder params = Collections.VectorParams.newBuilder()
                    .setSize(spec.dim)
                    .setDistance(Collections.Distance.Manhattan)
                    .setDatatype(Collections.Datatype.Uint8)
                    .setOnDisk(true);
            Collections.CreateCollection.Builder create = Collections.CreateCollection.newBuilder()
                    .setCollectionName(spec.collection)
                    .setVectorsConfig(Collections.VectorsConfig.newBuilder().setParams(params))
                    .setHnswConfig(Collections.HnswConfigDiff.newBuilder().setM(spec.hnswM).setEfConstruct(spec.hnswEfConstruct))
                    .setOnDiskPayload(true);
            if (spec.binaryQuantization) {
                create.setQuantizationConfig(Collections.QuantizationConfig.newBuilder()
                        .setBinary(Collections.BinaryQuantization.newBuilder().setAlwaysRam(spec.alwaysRam)));
            }
            try {
                call("collection create", () -> client.collections().create(create.build()));
            } catch (AlreadyExists raced) {
                // Another subtask (or job) created it since the check: what we wanted. Its creator
                // may not have made the tenant index yet; creating an existing index is a no-op.
            }
            call("tenant index", () -> client.points().createFieldIndex(Points.CreateFieldIndexCollection.newBuilder()
                    .setCollectionName(spec.collection).setWait(true).setFieldName("tenant")
                    .setFieldType(Points.FieldType.FieldTypeKeyword).build()));
        }
        ready = true;
    }

    /** The stored form: one 0/1 value per bit. */
    static float[] toValues(long[] hdv) {
        float[] v = new float[hdv.length * 64];
        for (int i = 0; i < v.length; i++) {
            v[i] = (hdv[i >>> 6] >>> (i & 63) & 1L) != 0 ? 1f : 0f;
        }
        return v;
    }

    public static long[] fromValues(List<Float> v) {
        long[] w = new long[v.size() / 64];
        for (int i = 0; i < v.size(); i++) {
            if (v.get(i) > 0.5f) {
                w[i >>> 6] |= 1L << (i & 63);
            }
        }
        return w;
    }

    private static Common.PointId id(String tenant, String memoryId) {
        return PointIdFactory.id(WarmTier.pointId(tenant, memoryId));
    }

    private static Points.PointStruct point(WarmPoint p) {
        return Points.PointStruct.newBuilder()
                .setId(id(p.tenant, p.memoryId))
                .setVectors(VectorsFactory.vectors(toValues(p.hdv)))
                .putAllPayload(Map.of(
                        "tenant", value(p.tenant),
                        "memory_id", value(p.memoryId),
                        "context_id", p.contextId == null ? nullValue() : value(p.contextId),
                        "strength", value(p.strength),
                        "updated_ms", value(p.updatedMs),
                        "half_life_ms", value(p.halfLifeMs),
                        "last_access_ms", value(p.lastAccessMs),
                        "access_count", value((long) p.accessCount),
                        "payload", p.payload == null ? nullValue() : value(Base64.getEncoder().encodeToString(p.payload))))
                .build();
    }

    @Override
    public void apply(List<Op> ops) throws IOException {
        ensureCollection();
        // Consecutive ops of one kind go in one request; order between kinds is kept.
        int i = 0;
        while (i < ops.size()) {
            boolean upsert = ops.get(i).point != null;
            int j = i;
            while (j < ops.size() && (ops.get(j).point != null) == upsert) {
                j++;
            }
            List<Op> run = ops.subList(i, j);
            if (upsert) {
                Points.UpsertPoints.Builder req = Points.UpsertPoints.newBuilder().setCollectionName(spec.collection).setWait(true);
                for (Op op : run) {
                    req.addPoints(point(op.point));
                }
                call("upsert", () -> client.points().upsert(req.build()));
            } else {
                Points.PointsIdsList.Builder ids = Points.PointsIdsList.newBuilder();
                for (Op op : run) {
                    ids.addIds(id(op.tenant, op.memoryId));
                }
                call("delete", () -> client.points().delete(Points.DeletePoints.newBuilder().setCollectionName(spec.collection)
                        .setWait(true).setPoints(Points.PointsSelector.newBuilder().setPoints(ids)).build()));
            }
            i = j;
        }
    }

    /** Every write already waited for Qdrant to apply it ({@code wait=true}). */
    @Override
    public void sync() {
    }

    private static Common.Filter tenantFilter(String tenant) {
        return Common.Filter.newBuilder().addMust(matchKeyword("tenant", tenant)).build();
    }

    @Override
    public List<WarmHit> search(String tenant, long[] hdv, int k) throws IOException {
        ensureCollection();
        Points.SearchPoints.Builder req = Points.SearchPoints.newBuilder().setCollectionName(spec.collection)
                .setFilter(tenantFilter(tenant))
                .setWithPayload(Points.WithPayloadSelector.newBuilder().setEnable(true))
                .setWithVectors(Points.WithVectorsSelector.newBuilder().setEnable(true));
        for (float f : toValues(hdv)) {
            req.addVector(f);
        }
        return WarmTier.nearest(k, n -> {
            List<Points.ScoredPoint> found = call("search", () -> client.points().search(req.setLimit(n).build())).getResultList();
            List<WarmHit> out = new ArrayList<>(found.size());
            for (Points.ScoredPoint sp : found) {
                WarmPoint p = fromQdrant(sp.getPayloadMap(), sp.getVectors());
                out.add(new WarmHit(p, Hdv.hamming(p.hdv, hdv)));
            }
            return out;
        });
    }

    @Override
    public WarmPoint get(String tenant, String memoryId) throws IOException {
        ensureCollection();
        List<Points.RetrievedPoint> got = call("get", () -> client.points().get(Points.GetPoints.newBuilder()
                .setCollectionName(spec.collection).addIds(id(tenant, memoryId))
                .setWithPayload(Points.WithPayloadSelector.newBuilder().setEnable(true))
                .setWithVectors(Points.WithVectorsSelector.newBuilder().setEnable(true)).build())).getResultList();
        return got.isEmpty() ? null : fromQdrant(got.get(0).getPayloadMap(), got.get(0).getVectors());
    }

    @Override
    public long count(String tenant) throws IOException {
        ensureCollection();
        return call("count", () -> client.points().count(Points.CountPoints.newBuilder().setCollectionName(spec.collection)
                .setFilter(tenantFilter(tenant)).setExact(true).build())).getResult().getCount();
    }

    private static WarmPoint fromQdrant(Map<String, JsonWithInt.Value> pl, Points.VectorsOutput v) {
        Points.VectorOutput vo = v.getVector();
        List<Float> values = vo.hasDense() ? vo.getDense().getDataList() : vo.getDataList();
        String payload = str(pl.get("payload"));
        return new WarmPoint(str(pl.get("tenant")), str(pl.get("memory_id")), str(pl.get("context_id")), fromValues(values),
                payload == null ? null : Base64.getDecoder().decode(payload), num(pl.get("strength")), (long) num(pl.get("updated_ms")),
                num(pl.get("half_life_ms")), (long) num(pl.get("last_access_ms")), (int) num(pl.get("access_count")));
    }

    private static String str(JsonWithInt.Value v) {
        return v == null || !v.hasStringValue() ? null : v.getStringValue();
    }

    private static double num(JsonWithInt.Value v) {
        if (v == null) {
            return 0;
        }
        return v.hasIntegerValue() ? v.getIntegerValue() : v.getDoubleValue();
    }

    @Override
    public void close() {
        client.close();
    }
}
