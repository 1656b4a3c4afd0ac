package io.mnemocore.operators.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.testing.RedisServer;
import io.qdrant.client.grpc.Collections;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QdrantWarmTier} through the real Qdrant client against {@link QdrantStandIn} (a stand-in,
 * not Qdrant), compared with the embedded store: same answers for the same operations.
 */
class QdrantWarmTierTest {
    static final int D = 1024; // the stand-in scans floats; the layout does not depend on D

    static WarmTierSpec spec(int port, String key, int retries) {
        return new WarmTierSpec(D, "", "http://127.0.0.1:" + port, key, "haim_warm", 24, 200, true, true, 2_000, retries, 3, 60_000);
    }

    static WarmPoint point(String tenant, String id, long seed) {
        return new WarmPoint(tenant, id, seed % 2 == 0 ? "c" : null, Hdv.random(D, seed).words(), seed % 3 == 0 ? null : new byte[] {(byte) seed},
                0.4, 10 + seed, 3.6e6, 5 + seed, (int) seed);
    }

    @Test
    void behavesLikeTheEmbeddedStoreAndSendsWhatQdrantExpects(@TempDir Path dir) throws Exception {
        try (QdrantStandIn q = new QdrantStandIn(RedisServer.freePort(), "s3cret");
             QdrantWarmTier qt = new QdrantWarmTier(spec(q.port(), "s3cret", 1));
             EmbeddedWarmStore local = EmbeddedWarmStore.open(dir, D)) {
            List<WarmTier.Op> ops = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                ops.add(WarmTier.Op.upsert(point(i < 50 ? "a" : "b", "m" + i, i)));
            }
            ops.add(WarmTier.Op.delete("a", "m3"));
            ops.add(WarmTier.Op.upsert(point("a", "m4", 444))); // a rewrite
            for (WarmTier s : List.of(qt, local)) {
                s.apply(ops);
                s.apply(ops); // idempotent
            }
            assertThat(qt.count("a")).isEqualTo(local.count("a")).isEqualTo(49);
            assertThat(qt.count("b")).isEqualTo(10);
            assertThat(qt.get("a", "m3")).isNull();
            WarmPoint m5 = qt.get("a", "m5");
            assertThat(m5.hdv).isEqualTo(Hdv.random(D, 5).words());
            assertThat(m5.payload).containsExactly(5);
            assertThat(m5.contextId).isNull();
            assertThat(m5.accessCount).isEqualTo(5);
            assertThat(qt.get("a", "m4").hdv).isEqualTo(Hdv.random(D, 444).words());
            for (long seed : new long[] {7, 444, 12345}) {
                long[] query = Hdv.random(D, seed).words();
                query[0] ^= 0b1011;
                assertThat(qt.search("a", query, 10)).extracting(h -> h.point.memoryId + "@" + h.distance)
                        .containsExactlyElementsOf(local.search("a", query, 10).stream().map(h -> h.point.memoryId + "@" + h.distance).toList());
            }
            assertThat(qt.search("b", Hdv.random(D, 7).words(), 100)).hasSize(10).allSatisfy(h -> assertThat(h.point.tenant).isEqualTo("b"));

            // What the stand-in was asked for: one collection as designed, a tenant index, filtered searches.
            assertThat(q.creates).singleElement().satisfies(c -> {
                Collections.VectorParams p = c.getVectorsConfig().getParams();
                assertThat(p.getSize()).isEqualTo(D);
                assertThat(p.getDistance()).isEqualTo(Collections.Distance.Manhattan);
                assertThat(p.getDatatype()).isEqualTo(Collections.Datatype.Uint8);
                assertThat(p.getOnDisk()).isTrue();
                assertThat(c.getHnswConfig().getM()).isEqualTo(24);
                assertThat(c.getHnswConfig().getEfConstruct()).isEqualTo(200);
                assertThat(c.getQuantizationConfig().getBinary().getAlwaysRam()).isTrue();
            });
            assertThat(q.indexes).singleElement().satisfies(i -> assertThat(i.getFieldName()).isEqualTo("tenant"));
            assertThat(q.searches).allSatisfy(s -> assertThat(s.getFilter().getMustList()).isNotEmpty());
        }
    }

    @Test
    void twoSubtasksRacingToCreateTheCollectionBothGoOn() throws Exception {
        try (QdrantStandIn q = new QdrantStandIn(RedisServer.freePort(), "k");
             QdrantWarmTier first = new QdrantWarmTier(spec(q.port(), "k", 0));
             QdrantWarmTier second = new QdrantWarmTier(spec(q.port(), "k", 0))) {
            first.apply(List.of(WarmTier.Op.upsert(point("a", "m1", 1))));
            q.hideCollections = true; // the second checks before the first's create is visible
            // Before the fix: IOException "collection create failed: ALREADY_EXISTS", and the job restarted.
            second.apply(List.of(WarmTier.Op.upsert(point("a", "m2", 2))));
            q.hideCollections = false;
            assertThat(q.creates).hasSize(1);
            assertThat(second.count("a")).isEqualTo(2);
            assertThat(second.get("a", "m1").hdv).isEqualTo(Hdv.random(D, 1).words());
        }
    }

    @Test
    void aWrongApiKeyFailsAndAnOutageOpensTheBreaker() throws Exception {
        try (QdrantStandIn q = new QdrantStandIn(RedisServer.freePort(), "right");
             QdrantWarmTier wrong = new QdrantWarmTier(spec(q.port(), "wrong", 1))) {
            // A refusal is an answer, not an outage: past the breaker's threshold of 3 it still
            // reaches Qdrant and reports the reason (an outage would have opened the breaker).
            for (int i = 0; i < 4; i++) {
                assertThatThrownBy(() -> wrong.count("a")).hasMessageContaining("refused").hasMessageContaining("UNAUTHENTICATED");
            }
        }
        int port = RedisServer.freePort(); // nothing listens here
        try (QdrantWarmTier down = new QdrantWarmTier(spec(port, "k", 1))) {
            // 3 failures (threshold) over two calls with one retry each; then calls fail at once.
            assertThatThrownBy(() -> down.apply(List.of(WarmTier.Op.upsert(point("a", "x", 1))))).hasMessageContaining("failed");
            assertThatThrownBy(() -> down.apply(List.of(WarmTier.Op.upsert(point("a", "x", 1)))));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> down.count("a")).hasMessageContaining("circuit breaker is open");
            assertThat((System.nanoTime() - t0) / 1e6).as("no call was made").isLessThan(500);
        }
    }
}
