package io.mnemocore.operators.tier;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.Collections;
import io.qdrant.client.grpc.CollectionsGrpc;
import io.qdrant.client.grpc.Common;
import io.qdrant.client.grpc.JsonWithInt;
import io.qdrant.client.grpc.Points;
import io.qdrant.client.grpc.PointsGrpc;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A STAND-IN for Qdrant, not Qdrant: no Qdrant binary can be run here, so the tests talk through
 * the real {@code io.qdrant:client} to this in-process gRPC server, which implements the parts of
 * Qdrant's Collections and Points services the WARM tier uses (exists, create, field index,
 * upsert, delete, get, count, search by Manhattan distance with a keyword filter). It checks what
 * it is sent, and refuses what real Qdrant would not accept or what our design forbids:
 * a wrong API key, points with non-UUID ids, vectors of the wrong size or with values other than
 * 0/1 for a uint8 collection, and a search or count without a tenant filter.
 */
public final class QdrantStandIn implements AutoCloseable {
    final Server server;
    final String apiKey;
    private final int port;
    /** Requests seen, for the tests' checks. */
    final List<Collections.CreateCollection> creates;
    final List<Points.CreateFieldIndexCollection> indexes = new CopyOnWriteArrayList<>();
    final List<Points.SearchPoints> searches = new CopyOnWriteArrayList<>();
    /** Answers "does not exist" for existing collections: a client that checks sees another win the race to create it. */
    volatile boolean hideCollections;
    private final Map<String, Map<String, Points.PointStruct>> collections;

    public QdrantStandIn(int port, String apiKey) throws IOException {
        this(port, apiKey, new CopyOnWriteArrayList<>(), new LinkedHashMap<>());
    }

    private QdrantStandIn(int port, String apiKey, List<Collections.CreateCollection> creates,
                          Map<String, Map<String, Points.PointStruct>> collections) throws IOException {
        this.apiKey = apiKey;
        this.creates = creates;
        this.collections = collections;
        ServerInterceptor auth = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
                String key = h.get(Metadata.Key.of("api-key", Metadata.ASCII_STRING_MARSHALLER));
                if (!apiKey.equals(key)) {
                    call.close(Status.UNAUTHENTICATED.withDescription("bad api-key"), new Metadata());
                    return new ServerCall.Listener<>() { };
                }
                return next.startCall(call, h);
            }
        };
        server = ServerBuilder.forPort(port)
                .addService(ServerInterceptors.intercept(new CollectionsService(), auth))
                .addService(ServerInterceptors.intercept(new PointsService(), auth))
                .build().start();
        this.port = server.getPort();
    }

    public int port() {
        return port;
    }

    /** After {@link #close()}: the same data served again on the same port (Qdrant back after an outage). */
    public QdrantStandIn restart() throws IOException {
        return new QdrantStandIn(port(), apiKey, creates, collections);
    }

    /** Points of a tenant in a collection, by memory_id, with their 0/1 values packed back into words. */
    public synchronized Map<String, long[]> points(String collection, String tenant) {
        Map<String, long[]> out = new java.util.TreeMap<>();
        for (Points.PointStruct p : collections.getOrDefault(collection, Map.of()).values()) {
            if (tenant.equals(p.getPayloadMap().get("tenant").getStringValue())) {
                out.put(p.getPayloadMap().get("memory_id").getStringValue(), QdrantWarmTier.fromValues(values(p.getVectors().getVector())));
            }
        }
        return out;
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized Map<String, Points.PointStruct> collection(String name) {
        Map<String, Points.PointStruct> c = collections.get(name);
        if (c == null) {
            throw Status.NOT_FOUND.withDescription("Collection `" + name + "` doesn't exist!").asRuntimeException();
        }
        return c;
    }

    private int dim(String name) {
        for (Collections.CreateCollection c : creates) {
            if (c.getCollectionName().equals(name)) {
                return (int) c.getVectorsConfig().getParams().getSize();
            }
        }
        throw new IllegalStateException();
    }

    private static List<Float> values(Points.Vector v) {
        return v.hasDense() ? v.getDense().getDataList() : v.getDataList();
    }

    private static String tenantOf(Common.Filter f) {
        for (Common.Condition c : f.getMustList()) {
            if (c.hasField() && c.getField().getKey().equals("tenant") && c.getField().getMatch().hasKeyword()) {
                return c.getField().getMatch().getKeyword();
            }
        }
        throw Status.INVALID_ARGUMENT.withDescription("stand-in: every search and count must filter on tenant").asRuntimeException();
    }

    private static <T> void answer(StreamObserver<T> o, java.util.function.Supplier<T> f) {
        try {
            o.onNext(f.get());
            o.onCompleted();
        } catch (io.grpc.StatusRuntimeException e) {
            o.onError(e);
        }
    }

    private final class CollectionsService extends CollectionsGrpc.CollectionsImplBase {
        @Override
        public void collectionExists(Collections.CollectionExistsRequest r, StreamObserver<Collections.CollectionExistsResponse> o) {
            answer(o, () -> {
                synchronized (QdrantStandIn.this) {
                    return Collections.CollectionExistsResponse.newBuilder()
                            .setResult(Collections.CollectionExists.newBuilder().setExists(!hideCollections && collections.containsKey(r.getCollectionName()))).build();
                }
            });
        }

        @Override
        public void create(Collections.CreateCollection r, StreamObserver<Collections.CollectionOperationResponse> o) {
            answer(o, () -> {
                synchronized (QdrantStandIn.this) {
                    if (collections.containsKey(r.getCollectionName())) {
                        throw Status.ALREADY_EXISTS.withDescription("exists").asRuntimeException();
                    }
                    creates.add(r);
                    collections.put(r.getCollectionName(), new LinkedHashMap<>());
                }
                return Collections.CollectionOperationResponse.newBuilder().setResult(true).build();
            });
        }
    }

    private final class PointsService extends PointsGrpc.PointsImplBase {
        private Points.PointsOperationResponse ok() {
            return Points.PointsOperationResponse.newBuilder()
                    .setResult(Points.UpdateResult.newBuilder().setStatus(Points.UpdateStatus.Completed)).build();
        }

        @Override
        public void createFieldIndex(Points.CreateFieldIndexCollection r, StreamObserver<Points.PointsOperationResponse> o) {
            answer(o, () -> {
                collection(r.getCollectionName());
                indexes.add(r);
                return ok();
            });
        }

        @Override
        public void upsert(Points.UpsertPoints r, StreamObserver<Points.PointsOperationResponse> o) {
            answer(o, () -> {
                Map<String, Points.PointStruct> c = collection(r.getCollectionName());
                int dim = dim(r.getCollectionName());
                for (Points.PointStruct p : r.getPointsList()) {
                    if (!p.getId().hasUuid()) {
                        throw Status.INVALID_ARGUMENT.withDescription("stand-in: point ids must be UUIDs").asRuntimeException();
                    }
                    List<Float> v = values(p.getVectors().getVector());
                    if (v.size() != dim || v.stream().anyMatch(f -> f != 0f && f != 1f)) {
                        throw Status.INVALID_ARGUMENT.withDescription("stand-in: expected " + dim + " values of 0 or 1").asRuntimeException();
                    }
                    synchronized (QdrantStandIn.this) {
                        c.put(p.getId().getUuid(), p);
                    }
                }
                return ok();
            });
        }

        @Override
        public void delete(Points.DeletePoints r, StreamObserver<Points.PointsOperationResponse> o) {
            answer(o, () -> {
                Map<String, Points.PointStruct> c = collection(r.getCollectionName());
                synchronized (QdrantStandIn.this) {
                    for (Common.PointId id : r.getPoints().getPoints().getIdsList()) {
                        c.remove(id.getUuid());
                    }
                }
                return ok();
            });
        }

        @Override
        public void get(Points.GetPoints r, StreamObserver<Points.GetResponse> o) {
            answer(o, () -> {
                Map<String, Points.PointStruct> c = collection(r.getCollectionName());
                Points.GetResponse.Builder b = Points.GetResponse.newBuilder();
                synchronized (QdrantStandIn.this) {
                    for (Common.PointId id : r.getIdsList()) {
                        Points.PointStruct p = c.get(id.getUuid());
                        if (p != null) {
                            b.addResult(Points.RetrievedPoint.newBuilder().setId(p.getId()).putAllPayload(p.getPayloadMap())
                                    .setVectors(output(p)));
                        }
                    }
                }
                return b.build();
            });
        }

        @Override
        public void count(Points.CountPoints r, StreamObserver<Points.CountResponse> o) {
            answer(o, () -> {
                Map<String, Points.PointStruct> c = collection(r.getCollectionName());
                String tenant = tenantOf(r.getFilter());
                long n;
                synchronized (QdrantStandIn.this) {
                    n = c.values().stream().filter(p -> tenant.equals(p.getPayloadMap().get("tenant").getStringValue())).count();
                }
                return Points.CountResponse.newBuilder().setResult(Points.CountResult.newBuilder().setCount(n)).build();
            });
        }

        @Override
        public void search(Points.SearchPoints r, StreamObserver<Points.SearchResponse> o) {
            answer(o, () -> {
                searches.add(r);
                Map<String, Points.PointStruct> c = collection(r.getCollectionName());
                String tenant = tenantOf(r.getFilter());
                List<Float> q = r.getVectorList();
                List<Points.ScoredPoint> scored = new ArrayList<>();
                synchronized (QdrantStandIn.this) {
                    for (Points.PointStruct p : c.values()) {
                        JsonWithInt.Value t = p.getPayloadMap().get("tenant");
                        if (t == null || !tenant.equals(t.getStringValue())) {
                            continue;
                        }
                        List<Float> v = values(p.getVectors().getVector());
                        double d = 0; // Manhattan, as Qdrant scores it
                        for (int i = 0; i < v.size(); i++) {
                            d += Math.abs(v.get(i) - q.get(i));
                        }
                        Points.ScoredPoint.Builder sp = Points.ScoredPoint.newBuilder().setId(p.getId()).setScore((float) d);
                        if (r.getWithPayload().getEnable()) {
                            sp.putAllPayload(p.getPayloadMap());
                        }
                        if (r.getWithVectors().getEnable()) {
                            sp.setVectors(output(p));
                        }
                        scored.add(sp.build());
                    }
                }
                scored.sort(Comparator.comparingDouble(Points.ScoredPoint::getScore));
                return Points.SearchResponse.newBuilder().addAllResult(scored.subList(0, (int) Math.min(scored.size(), r.getLimit()))).build();
            });
        }

        private Points.VectorsOutput output(Points.PointStruct p) {
            return Points.VectorsOutput.newBuilder()
                    .setVector(Points.VectorOutput.newBuilder().setDense(Points.DenseVector.newBuilder().addAllData(values(p.getVectors().getVector()))))
                    .build();
        }
    }
}
