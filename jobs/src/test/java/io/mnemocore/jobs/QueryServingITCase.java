package io.mnemocore.jobs;

import static io.mnemocore.jobs.FaultToleranceITCase.createdIds;
import static io.mnemocore.jobs.JobTestSupport.await;
import static io.mnemocore.jobs.JobTestSupport.awaitOr;
import static io.mnemocore.jobs.JobTestSupport.read;
import static io.mnemocore.jobs.JobTestSupport.send;
import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.encode.ConfidenceCalibration;
import io.mnemocore.operators.query.QueryReply;
import io.mnemocore.operators.query.ReplyCodec;
import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * Queries through Redis and the real job: memories written on the bus become HOT, a query on
 * the query stream is answered on its reply_to stream with the nearest memories of its tenant
 * only, the returned hits come back to the consolidator as accesses, and after a stop with a
 * savepoint and a restore the HOT index is rebuilt from the HOT store's keyed state and answers the same.
 */
class QueryServingITCase {
    static final int D = 16384;

    static long[] flip(long[] words, int bits, long seed) {
        long[] w = Arrays.copyOf(words, words.length);
        Random r = new Random(seed);
        java.util.BitSet done = new java.util.BitSet();
        for (int n = 0; n < bits; ) {
            int b = r.nextInt(D);
            if (!done.get(b)) {
                done.set(b);
                w[b >>> 6] ^= 1L << (b & 63);
                n++;
            }
        }
        return w;
    }

    static byte[] packed(long[] words) {
        return Hdv.wrap(D, words).toPacked();
    }

    static QueryReply awaitReply(JedisPooled c, String stream, String queryId) throws Exception {
        List<QueryReply> found = new ArrayList<>();
        await("reply to " + queryId, 60_000, () -> {
            for (Map<String, String> m : read(c, stream)) {
                if (queryId.equals(m.get("query_id"))) {
                    try {
                        found.add(ReplyCodec.decode(m.get("data").getBytes(StandardCharsets.ISO_8859_1)));
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                    return true;
                }
            }
            return false;
        });
        return found.get(0);
    }

    /** Sends one query and waits for its reply. */
    static QueryReply ask(JedisPooled c, String stream, Map<String, Object> query) {
        send(c, stream, packb(query));
        try {
            return awaitReply(c, (String) query.get("reply_to"), (String) query.get("query_id"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Asks (ids {@code prefix-0}, {@code prefix-1}, ...) until a reply has scanned {@code rows}
     * memories of its tenant, i.e. every one is in the HOT index. A write and a query come on
     * different streams, so a `created` transition in the log does not order the query after the
     * index has applied it (nor after a restore re-applies it). Every reply goes to {@code all}:
     * their hits were fed back as accesses too.
     */
    static QueryReply askUntilIndexed(String prefix, int rows, java.util.function.Function<String, QueryReply> ask,
            List<QueryReply> all) throws InterruptedException {
        QueryReply[] last = new QueryReply[1];
        int[] n = {0};
        await(prefix + " over " + rows + " HOT memories", 60_000, () -> {
            last[0] = ask.apply(prefix + "-" + n[0]++);
            all.add(last[0]);
            return last[0].scanned == rows;
        });
        return last[0];
    }

    @Test
    void answersFromHotFeedsHitsBackAndRebuildsAfterRestore(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis);
            JobClient job = JobTestSupport.start(s, 2);
            long[][] vectors = new long[300][];
            for (int i = 0; i < vectors.length; i++) {
                vectors[i] = Hdv.random(D, i).words();
                send(c, "haim:subconscious", packb(dict("type", "memory.write", "tenant", i < 200 ? "acme" : "globex",
                        "memory_id", "m" + i, "hdv", packed(vectors[i]), "payload", dict("n", i))));
            }
            send(c, "haim:subconscious", packb(dict("type", "memory.write", "tenant", "acme", "memory_id", "cat",
                    "text", "the cat sat on the warm windowsill all afternoon")));
            await("all created", 60_000, () -> createdIds(c).size() == 301);

            List<QueryReply> all = new ArrayList<>();
            QueryReply r1 = askUntilIndexed("q1", 201, id -> ask(c, "haim:queries", dict("type", "query", "tenant", "acme",
                    "query_id", id, "hdv", packed(flip(vectors[42], 300, 1)), "k", 5, "reply_to", "replies:it")), all);
            assertThat(r1.hits).hasSize(5);
            assertThat(r1.hits[0].memoryId).isEqualTo("m42");
            assertThat(r1.hits[0].distance).isEqualTo(300);
            assertThat(r1.hits[0].payload).isEqualTo(packb(dict("n", 42)));
            assertThat(r1.confidence).isEqualTo("high");
            assertThat(r1.degraded).isFalse();
            assertThat(r1.tier).isEqualTo("hot");
            assertThat(r1.scanned).isEqualTo(201); // acme's memories only, over both subtasks
            // The other four are unrelated vectors: chance distance, well past the threshold.
            assertThat(r1.hits[1].distance).isBetween(7700, 8700);

            // Tenant isolation: globex's vector 250 is only visible to globex.
            send(c, "haim:queries", packb(dict("type", "query", "tenant", "acme", "query_id", "q2",
                    "hdv", packed(vectors[250]), "k", 3, "reply_to", "replies:it")));
            QueryReply r2 = awaitReply(c, "replies:it", "q2");
            all.add(r2);
            assertThat(r2.hits).extracting(h -> h.memoryId).doesNotContain("m250");
            assertThat(r2.confidence).isEqualTo("low");
            // Low confidence asked WARM, which holds nothing yet and answered: not degraded.
            assertThat(r2.degraded).isFalse();
            assertThat(r2.tier).isEqualTo("hot");
            QueryReply r3 = askUntilIndexed("q3", 100, id -> ask(c, "haim:queries", dict("type", "query", "tenant", "globex",
                    "query_id", id, "hdv", packed(vectors[250]), "k", 3, "reply_to", "replies:it")), all);
            assertThat(r3.hits[0].memoryId).isEqualTo("m250");

            // A text query, on the main stream this time, finds the text memory.
            send(c, "haim:subconscious", packb(dict("type", "query", "tenant", "acme", "query_id", "q4",
                    "text", "a cat sat on the windowsill", "k", 1, "reply_to", "replies:it")));
            QueryReply r4 = awaitReply(c, "replies:it", "q4");
            all.add(r4);
            assertThat(r4.hits[0].memoryId).isEqualTo("cat");

            // Hits came back as accesses on the main stream: 302 events sent there, then one access per hit.
            int hits = all.stream().mapToInt(r -> r.hits.length).sum();
            await("feedback applied", 60_000, () -> FaultToleranceITCase.drained(c, "haim:subconscious", "consolidation_workers")
                    && FaultToleranceITCase.entriesRead(c, "haim:subconscious") == 302 + hits);
            String sp = job.stopWithSavepoint(false, dir.resolve("sp").toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(120, TimeUnit.SECONDS);
            Map<String, String> state = SavepointInspector.memories(sp);
            // Every memory's access count is the number of replies that returned it; scanned is not accessed.
            Map<String, Integer> returned = new java.util.HashMap<>();
            for (QueryReply r : all) {
                for (var h : r.hits) {
                    returned.merge(r.tenant + "/" + h.memoryId, 1, Integer::sum);
                }
            }
            assertThat(returned.get("acme/m42")).isPositive();
            for (Map.Entry<String, String> e : state.entrySet()) {
                assertThat(e.getValue().split("\\|")[1]).as(e.getKey() + " access count")
                        .isEqualTo(Integer.toString(returned.getOrDefault(e.getKey(), 0)));
            }
            assertThat(returned.size()).isLessThan(state.size());
            assertThat(c.xlen("haim:dlq")).isZero();

            // Restored job: the HOT store rebuilds the index from its keyed state at the start; a query sent at once waits for that.
            JobClient restored = JobTestSupport.start(s, 2, sp);
            send(c, "haim:queries", packb(dict("type", "query", "tenant", "acme", "query_id", "q5",
                    "hdv", packed(flip(vectors[42], 300, 1)), "k", 5, "reply_to", "replies:it")));
            QueryReply r5 = awaitReply(c, "replies:it", "q5");
            assertThat(r5.hits).extracting(h -> h.memoryId).containsExactly(
                    Arrays.stream(r1.hits).map(h -> h.memoryId).toArray(String[]::new));
            assertThat(r5.scanned).isEqualTo(201);
            restored.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** Transitions of one memory in the audit log, as kind:reason. */
    static List<String> logOf(JedisPooled c, String memoryId) {
        List<String> out = new ArrayList<>();
        for (Map<String, String> m : read(c, "haim:transitions")) {
            if (memoryId.equals(m.get("memory_id"))) {
                out.add(m.get("kind") + ":" + m.get("reason"));
            }
        }
        return out;
    }

    /**
     * The blueprint's read path past HOT, with WARM in the Qdrant stand-in (in-process, not Qdrant,
     * through the real client): a low-confidence query finds a memory that left HOT in WARM; a
     * context's sequence of uses predicts the next one, which inference.predict pre-warms back to
     * HOT; with WARM gone, replies come from HOT and say they are degraded.
     */
    @Test
    void searchesWarmWhenHotIsNotConfidentAndPrewarmsPredictions(@TempDir Path dir) throws Exception {
        io.mnemocore.operators.tier.QdrantStandIn qdrant = new io.mnemocore.operators.tier.QdrantStandIn(RedisServer.freePort(), "k");
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis, "haim.qdrant.url=http://127.0.0.1:" + qdrant.port(), "haim.qdrant.api_key=k",
                    "haim.search.warm_timeout_ms=2000", "haim.search.warm_breaker_failures=2");
            JobClient job = JobTestSupport.start(s, 2);
            try {
                long[][] v = new long[40][];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Hdv.random(D, 1000 + i).words();
                    send(c, "haim:subconscious", packb(dict("type", "memory.write", "tenant", "acme", "memory_id", "m" + i,
                            "hdv", packed(v[i]), "payload", dict("n", i))));
                }
                await("all created", 60_000, () -> createdIds(c).size() == 40);
                send(c, "haim:subconscious", packb(dict("type", "consolidation.trigger", "tier", "hot_to_warm", "tenant", "acme",
                        "memory_ids", List.of("m7"))));
                await("m7 in WARM", 60_000, () -> qdrant.points("haim_warm", "acme").size() == 1);
                // m7 leaves the HOT index only after that write (its word to the HOT store). A query
                // that still found it in HOT would feed that hit back as a use and bring m7 back to
                // HOT, so probes ask for m0 and count the tenant's HOT rows until m7 is gone.
                int[] probes = {0};
                await("m7 out of the HOT index", 60_000, () -> {
                    String id = "p" + probes[0]++;
                    try {
                        send(c, "haim:queries", packb(dict("type", "query", "tenant", "acme", "query_id", id,
                                "hdv", packed(v[0]), "k", 1, "reply_to", "replies:warm")));
                        return awaitReply(c, "replies:warm", id).scanned == 39;
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                // HOT alone no longer holds m7: the exact vector is only found through the WARM fallback.
                QueryReply[] r = new QueryReply[1];
                int[] n = {0};
                // On a timeout, say what the last reply held: m7 still a HOT hit, or WARM failing.
                java.util.function.Supplier<String> last = () -> r[0] == null ? "no reply" : "last reply tier " + r[0].tier
                        + ", degraded " + r[0].degradedReason + ", hits " + Arrays.stream(r[0].hits)
                        .map(h -> h.memoryId + "/" + h.tier + "@" + h.distance).toList();
                awaitOr(() -> "m7 found in WARM (" + last.get() + ")", 60_000, () -> {
                    String id = "w" + n[0]++;
                    try {
                        send(c, "haim:queries", packb(dict("type", "query", "tenant", "acme", "query_id", id,
                                "hdv", packed(flip(v[7], 40, 9)), "k", 3, "reply_to", "replies:warm")));
                        r[0] = awaitReply(c, "replies:warm", id);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    return r[0].hits.length > 0 && r[0].hits[0].tier.equals("warm");
                });
                assertThat(r[0].hits[0].memoryId).isEqualTo("m7");
                assertThat(r[0].hits[0].distance).isEqualTo(40);
                assertThat(r[0].hits[0].payload).isEqualTo(packb(dict("n", 7)));
                assertThat(r[0].tier).isEqualTo("hot+warm");
                assertThat(r[0].confidence).isEqualTo("high");
                assertThat(r[0].degraded).isFalse();
                // The hit was fed back as an access: m7 comes back to HOT.
                await("m7 promoted by its use", 60_000, () -> logOf(c, "m7").contains("warm_to_hot:access"));

                // A routine in one context: m20 -> m21 -> m22 -> m23, three times. Distinct event times:
                // the uses reach active inference from both consolidator subtasks, in any order.
                long t = System.currentTimeMillis();
                for (int round = 0; round < 3; round++) {
                    for (int i = 20; i < 24; i++) {
                        send(c, "haim:subconscious", packb(dict("type", "memory.access", "tenant", "acme", "memory_id", "m" + i,
                                "context_id", "routine", "timestamp", t += 10)));
                    }
                }
                send(c, "haim:subconscious", packb(dict("type", "consolidation.trigger", "tier", "hot_to_warm", "tenant", "acme",
                        "memory_ids", List.of("m21"), "timestamp", t += 10)));
                send(c, "haim:subconscious", packb(dict("type", "memory.access", "tenant", "acme", "memory_id", "m20",
                        "context_id", "routine", "timestamp", t += 10)));
                await("m21 in WARM", 60_000, () -> logOf(c, "m21").contains("hot_to_warm:trigger"));
                QueryReply[] p = new QueryReply[1];
                await("m21 predicted after m20", 60_000, () -> {
                    String id = "p" + n[0]++;
                    try {
                        send(c, "haim:queries", packb(dict("type", "inference.predict", "tenant", "acme", "query_id", id,
                                "context_id", "routine", "context_hdv", packed(v[20]), "prediction_window", 0, "k", 2,
                                "reply_to", "replies:warm")));
                        p[0] = awaitReply(c, "replies:warm", id);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    // A hit as well: from HOT until WARM holds m21 after its demotion, from WARM
                    // then, or from HOT again once pre-warmed.
                    return p[0].predicted != null && p[0].predicted.length > 0 && p[0].predicted[0].equals("m21")
                            && p[0].hits.length > 0;
                });
                assertThat(p[0].kind).isEqualTo("inference.predict");
                assertThat(p[0].hits[0].memoryId).isEqualTo("m21");
                // The history predicts one of k = 2; the context_hdv (m20's vector) tops it up.
                assertThat(p[0].predicted).containsExactly("m21", "m20");
                assertThat(p[0].predictedBy).isEqualTo("history+content");
                assertThat(p[0].hits[0].payload).isEqualTo(packb(dict("n", 21)));
                await("m21 pre-warmed", 60_000, () -> logOf(c, "m21").contains("warm_to_hot:prewarm"));

                // WARM gone: a low-confidence query is answered from HOT, degraded, within the timeout.
                qdrant.close();
                String id = "down";
                send(c, "haim:queries", packb(dict("type", "query", "tenant", "acme", "query_id", id,
                        "hdv", packed(Hdv.random(D, 5).words()), "k", 2, "reply_to", "replies:warm")));
                QueryReply down = awaitReply(c, "replies:warm", id);
                assertThat(down.degraded).isTrue();
                assertThat(down.degradedReason).startsWith("low confidence, answered from HOT alone: WARM");
                assertThat(down.tier).isEqualTo("hot");
                assertThat(down.hits).hasSize(2).allMatch(h -> h.tier.equals("hot"));
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
                qdrant.close();
            }
        }
    }

    /** The Java client against the running job: store, query, inspect (queryable state), forget. */
    @Test
    void clientStoresQueriesInspectsAndForgets(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false)) {
            // The threshold calibrated for the (n-gram) encoder, not the blueprint's near-duplicate cut.
            JobSettings s = JobTestSupport.settings(redis, "haim.search.confidence_calibration=encoder");
            int calibrated = ConfidenceCalibration.calibrate(s.encoder.create(), ConfidenceCalibration.builtInPairs(), "",
                    0.01, 100_000).threshold;
            assertThat(s.confidenceThresholdBits()).isEqualTo(calibrated).isGreaterThan(s.config.confidenceThresholdBits());
            int qsPort = RedisServer.freePort();
            org.apache.flink.configuration.Configuration conf = new org.apache.flink.configuration.Configuration();
            conf.setString("queryable-state.enable", "true");
            conf.setString("queryable-state.proxy.ports", Integer.toString(qsPort));
            conf.setString("queryable-state.server.ports", Integer.toString(RedisServer.freePort()));
            JobClient job = JobTestSupport.start(s, 2, null, conf);
            try (io.mnemocore.client.MnemoClient client = new io.mnemocore.client.MnemoClient(redis.url(),
                    "haim:subconscious", "haim:queries", D, "127.0.0.1", qsPort); JedisPooled c = redis.client()) {
                String a = client.store("acme", "note-1", "remember to water the tomatoes on friday", null, "garden", null);
                client.store("acme", "note-2", "the quarterly report is due next week", null, "work", 0.95);
                long[] v = Hdv.random(D, 77).words();
                client.store("acme", "vec-1", null, v, null, null);
                await("stored", 60_000, () -> createdIds(c).size() == 3);

                List<QueryReply> all = new ArrayList<>();
                QueryReply byText = askUntilIndexed("by-text", 3, id -> {
                    try {
                        return client.query("acme", "water the tomatoes", null, "garden", 2, java.time.Duration.ofSeconds(30));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }, all);
                assertThat(byText.hits[0].memoryId).isEqualTo("note-1");
                assertThat(byText.hits[0].contextId).isEqualTo("garden");
                // Thousands of bits apart, as text questions are: confident under the calibrated
                // threshold, where the blueprint's 500 bits would have called it low and asked WARM.
                assertThat(byText.hits[0].distance).isGreaterThan(s.config.confidenceThresholdBits()).isLessThan(calibrated);
                assertThat(byText.confidence).isEqualTo("high");
                QueryReply byVector = client.query("acme", null, flip(v, 200, 3), null, 1, java.time.Duration.ofSeconds(30));
                assertThat(byVector.hits[0].memoryId).isEqualTo("vec-1");
                assertThat(byVector.hits[0].distance).isEqualTo(200);
                assertThat(byVector.confidence).isEqualTo("high");

                // Queryable state answers from the running job, with the accesses the replies fed back.
                // Every memory's access count is the number of replies that returned it.
                all.add(byVector);
                await("accesses applied", 60_000, () -> {
                    for (String m : List.of("note-1", "note-2", "vec-1")) {
                        long returned = all.stream().flatMap(r -> Arrays.stream(r.hits)).filter(h -> h.memoryId.equals(m)).count();
                        try {
                            var st = client.inspect(job.getJobID(), "acme", m);
                            if (st == null || st.accessCount != returned) {
                                return false;
                            }
                        } catch (Exception e) {
                            return false; // the proxy may still be starting
                        }
                    }
                    return true;
                });
                var note2 = client.inspect(job.getJobID(), "acme", "note-2");
                assertThat(note2.tier).hasToString("HOT");
                if (all.stream().flatMap(r -> Arrays.stream(r.hits)).noneMatch(h -> h.memoryId.equals("note-2"))) {
                    assertThat(note2.strength).isEqualTo(0.95); // as written; an access (a try before note-1 was indexed) reinforces it
                }
                assertThat(client.inspect(job.getJobID(), "acme", "no-such-memory")).isNull();
                QueryReply kept = client.recentResult(job.getJobID(), byVector.queryId);
                assertThat(kept.hits[0].memoryId).isEqualTo("vec-1");
                assertThat(kept.hits[0].distance).isEqualTo(200);
                assertThat(client.recentResult(job.getJobID(), "never-asked")).isNull();

                // A routine in context "chores" (note-1, vec-1, note-1): the client asks what comes next.
                long t = System.currentTimeMillis();
                for (String m : new String[] {"note-1", "vec-1", "note-1"}) {
                    send(c, "haim:subconscious", packb(dict("type", "memory.access", "tenant", "acme", "memory_id", m,
                            "context_id", "chores", "timestamp", t += 10)));
                }
                QueryReply[] next = new QueryReply[1];
                await("vec-1 predicted", 60_000, () -> {
                    try {
                        next[0] = client.predict("acme", "chores", 1, 0, java.time.Duration.ofSeconds(30));
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    return next[0].predicted.length == 1 && next[0].predicted[0].equals("vec-1");
                });
                assertThat(next[0].kind).isEqualTo("inference.predict");
                assertThat(next[0].hits).extracting(h -> h.memoryId).containsExactly("vec-1");
                assertThat(next[0].predictedBy).isEqualTo("history");

                // The blueprint's event: a context vector and no context_id. No history to walk, so
                // the memories clearly nearer to the vector than chance are the prediction (the two
                // notes lie near D/2 from it).
                QueryReply byContext = client.predict("acme", null, flip(v, 300, 5), 3, 60, java.time.Duration.ofSeconds(30));
                assertThat(byContext.kind).isEqualTo("inference.predict");
                assertThat(byContext.predicted).containsExactly("vec-1");
                assertThat(byContext.predictedBy).isEqualTo("content");
                assertThat(byContext.hits).extracting(h -> h.memoryId + ":" + h.tier + ":" + h.distance).containsExactly("vec-1:hot:300");
                assertThat(byContext.confidence).isEqualTo("high");

                client.forget("acme", "vec-1");
                await("forgotten", 60_000, () -> {
                    try {
                        return client.inspect(job.getJobID(), "acme", "vec-1") == null;
                    } catch (Exception e) {
                        return false;
                    }
                });
                // The HOT index hears of the delete through the consolidator's output, a little after the
                // state is gone; queries stop returning the memory once it has.
                await("gone from the HOT index", 30_000, () -> {
                    try {
                        QueryReply after = client.query("acme", null, v, null, 3, java.time.Duration.ofSeconds(30));
                        return Arrays.stream(after.hits).noneMatch(h -> h.memoryId.equals("vec-1")) && after.hits.length == 2;
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A memory that leaves HOT stays in the HOT index until WARM holds it, and WARM holds it within
     * haim.tiers.warm.max_delay_ms, not at the next checkpoint (none comes in this test). The WARM
     * writer waits a second here, longer than the HOT index's removal takes: once the index lacks
     * the memory, the WARM store has it and the next query finds it there.
     */
    @Test
    void aDemotedMemoryIsInWarmOnceItLeavesTheHotIndex(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false); JedisPooled c = redis.client()) {
            JobSettings s = JobTestSupport.settings(redis, "haim.job.checkpoint_interval_ms=600000",
                    "haim.tiers.warm.max_delay_ms=1000");
            JobClient job = JobTestSupport.start(s, 2);
            // The embedded store is shared within the JVM: this is the job's own.
            try (io.mnemocore.operators.tier.WarmTier warm = s.warmSpec().open()) {
                long[] v = Hdv.random(D, 31).words();
                long[] u = Hdv.random(D, 32).words();
                send(c, "haim:subconscious", packb(dict("type", "memory.write", "tenant", "acme", "memory_id", "d1", "hdv", packed(v))));
                send(c, "haim:subconscious", packb(dict("type", "memory.write", "tenant", "acme", "memory_id", "d2", "hdv", packed(u))));
                // Probes ask for d2's vector: they find d2 (whose fed-back accesses change nothing here)
                // and say how many memories of the tenant the HOT index holds.
                int[] n = {0};
                java.util.function.Function<String, QueryReply> probe = id -> ask(c, "haim:queries", dict("type", "query",
                        "tenant", "acme", "query_id", id, "hdv", packed(u), "k", 1, "reply_to", "r"));
                askUntilIndexed("both", 2, probe, new ArrayList<>());
                // Sent again every 5 s until d1 is out of the HOT index (a trigger for a WARM memory
                // changes nothing): once in about fourteen runs the first one had not taken it out
                // within 60 s. Why is not known (README, Known gaps); this test is about what follows.
                long[] lastTrigger = {0};
                await("d1 out of the HOT index", 60_000, () -> {
                    if (System.currentTimeMillis() - lastTrigger[0] > 5_000) {
                        send(c, "haim:subconscious", packb(dict("type", "consolidation.trigger", "tenant", "acme",
                                "tier", "hot_to_warm", "memory_ids", List.of("d1"))));
                        lastTrigger[0] = System.currentTimeMillis();
                    }
                    return probe.apply("d1-out-of-hot-" + n[0]++).scanned == 1;
                });
                // d1 is out of the HOT index: WARM holds it already, and answers for it.
                assertThat(warm.get("acme", "d1")).isNotNull();
                QueryReply r = ask(c, "haim:queries", dict("type", "query", "tenant", "acme", "query_id", "v-" + n[0]++,
                        "hdv", packed(v), "k", 1, "reply_to", "r"));
                assertThat(r.hits).extracting(h -> h.memoryId).containsExactly("d1");
                assertThat(r.hits[0].distance).isZero();
                assertThat(r.hits[0].tier).isEqualTo("warm");
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }
}
