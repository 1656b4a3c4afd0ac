package io.mnemocore.operators.tier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mnemocore.hdv.Hdv;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedWarmStoreTest {
    static final int D = 16384;

    static WarmPoint point(String tenant, String id, long[] hdv) {
        return new WarmPoint(tenant, id, "ctx", hdv, new byte[] {1, 2, (byte) id.length()}, 0.5, 1000, 3.6e6, 900, 2);
    }

    @Test
    void upsertAndDeleteAreIdempotentAndSearchIsExactPerTenant(@TempDir Path dir) throws Exception {
        try (EmbeddedWarmStore s = EmbeddedWarmStore.open(dir, D)) {
            List<WarmPoint> a = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                a.add(point("a", "m" + i, Hdv.random(D, i).words()));
            }
            List<WarmTier.Op> ops = new ArrayList<>();
            a.forEach(p -> ops.add(WarmTier.Op.upsert(p)));
            s.apply(ops);
            s.apply(ops); // a replay after a restart: same points, no duplicates
            s.apply(List.of(WarmTier.Op.upsert(point("b", "m1", Hdv.random(D, 1).words()))));
            s.apply(List.of(WarmTier.Op.delete("a", "m7"), WarmTier.Op.delete("a", "m7"), WarmTier.Op.delete("a", "nope")));
            assertThat(s.count("a")).isEqualTo(299);
            assertThat(s.count("b")).isEqualTo(1);
            assertThat(s.get("a", "m7")).isNull();
            assertThat(s.get("a", "m8").hdv).isEqualTo(a.get(8).hdv);
            assertThat(s.get("a", "m8").payload).containsExactly(1, 2, 2);

            long[] q = Hdv.random(D, 8).words();
            q[3] ^= 0xFFL; // near m8
            List<WarmHit> hits = s.search("a", q, 10);
            List<WarmPoint> expected = new ArrayList<>(a);
            expected.removeIf(p -> p.memoryId.equals("m7"));
            expected.sort(Comparator.<WarmPoint>comparingInt(p -> Hdv.hamming(p.hdv, q)).thenComparing(p -> p.memoryId));
            assertThat(hits).extracting(h -> h.point.memoryId)
                    .containsExactlyElementsOf(expected.subList(0, 10).stream().map(p -> p.memoryId).toList());
            assertThat(hits.get(0).distance).isEqualTo(8);
            // Tenant b's m1 has the same vector as a's m1, yet never shows up for a, nor a's for b.
            assertThat(s.search("b", Hdv.random(D, 1).words(), 5)).extracting(h -> h.point.tenant).containsExactly("b");
            assertThat(s.search("c", q, 5)).isEmpty();
        }
    }

    @Test
    void survivesARestartAndCutsATornTail(@TempDir Path dir) throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        try (EmbeddedWarmStore s = EmbeddedWarmStore.open(dir, D)) {
            for (int i = 0; i < 50; i++) {
                s.apply(List.of(WarmTier.Op.upsert(point("t", "m" + i, Hdv.random(D, rnd.nextLong()).words()))));
            }
            s.apply(List.of(WarmTier.Op.delete("t", "m0"), WarmTier.Op.upsert(point("t", "m1", Hdv.random(D, 42).words()))));
        }
        // A crash mid-append leaves half a record behind.
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("warm.log").toFile(), "rw")) {
            f.seek(f.length());
            f.writeInt(4000);
            f.writeInt(123);
            f.write(new byte[100]);
        }
        try (EmbeddedWarmStore s = EmbeddedWarmStore.open(dir, D)) {
            assertThat(s.count("t")).isEqualTo(49);
            assertThat(s.get("t", "m0")).isNull();
            assertThat(s.get("t", "m1").hdv).isEqualTo(Hdv.random(D, 42).words());
            s.apply(List.of(WarmTier.Op.upsert(point("t", "m0", Hdv.random(D, 7).words()))));
        }
        try (EmbeddedWarmStore s = EmbeddedWarmStore.open(dir, D)) {
            assertThat(s.count("t")).isEqualTo(50);
            assertThat(s.get("t", "m0").hdv).isEqualTo(Hdv.random(D, 7).words());
        }
    }

    /** A batch is applied from its ops, not from the records it logs: a reopened store must read back the same points. */
    @Test
    void whatABatchAppliesIsWhatItsLogReplays(@TempDir Path dir) throws Exception {
        SplittableRandom rnd = new SplittableRandom(9);
        List<WarmPoint> points = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] payload = i % 3 == 0 ? null : new byte[rnd.nextInt(1, 300)];
            if (payload != null) {
                payload[0] = (byte) i;
            }
            points.add(new WarmPoint(i % 4 == 0 ? "u" : "t", "m-ü-" + i, i % 2 == 0 ? null : "küche-" + i,
                    Hdv.random(D, rnd.nextLong()).words(), payload, rnd.nextDouble(), rnd.nextLong(1L << 41),
                    rnd.nextDouble() * 1e9, rnd.nextLong(1L << 41), rnd.nextInt(1000)));
        }
        List<String> applied = new ArrayList<>();
        try (EmbeddedWarmStore s = EmbeddedWarmStore.open(dir, D)) {
            List<WarmTier.Op> batch = new ArrayList<>();
            points.forEach(p -> batch.add(WarmTier.Op.upsert(p)));
            batch.add(WarmTier.Op.delete("t", "m-ü-1"));
            batch.add(WarmTier.Op.upsert(points.get(5))); // again, in the same batch
            s.apply(batch);
            for (WarmPoint p : points) {
                applied.add(describe(s.get(p.tenant, p.memoryId)));
            }
        }
        assertThat(applied.get(1)).isEqualTo("absent");
        assertThat(applied.get(2)).isEqualTo(describe(points.get(2)));
        assertThat(applied.get(5)).isEqualTo(describe(points.get(5)));
        try (EmbeddedWarmStore s = EmbeddedWarmStore.open(dir, D)) {
            for (int i = 0; i < points.size(); i++) {
                WarmPoint p = points.get(i);
                assertThat(describe(s.get(p.tenant, p.memoryId))).as("point %d after a restart", i).isEqualTo(applied.get(i));
            }
            assertThat(s.count("t") + s.count("u")).isEqualTo(39);
        }
    }

    private static String describe(WarmPoint p) {
        return p == null ? "absent" : String.join("|", p.tenant, p.memoryId, String.valueOf(p.contextId),
                java.util.Arrays.toString(p.hdv), java.util.Arrays.toString(p.payload), Double.toString(p.strength),
                Long.toString(p.updatedMs), Double.toString(p.halfLifeMs), Long.toString(p.lastAccessMs),
                Integer.toString(p.accessCount));
    }

    @Test
    void oneJvmSharesTheStoreAndAWrongDimensionIsRefused(@TempDir Path dir) throws Exception {
        try (EmbeddedWarmStore a = EmbeddedWarmStore.open(dir, D); EmbeddedWarmStore b = EmbeddedWarmStore.open(dir, D)) {
            assertThat(a).isSameAs(b);
            a.apply(List.of(WarmTier.Op.upsert(point("t", "x", Hdv.random(D, 1).words()))));
            assertThat(b.count("t")).isEqualTo(1);
            assertThatThrownBy(() -> EmbeddedWarmStore.open(dir, 1024)).hasMessageContaining("D=16384");
        }
    }

    /**
     * A task restarting in the same JVM opens the store while the old task's last close is under
     * way: the open must get the store with what the old task wrote (the old one, or a new one once
     * the lock is free), never the
     * "in use by another process" refusal that the lock, released after the store left the open
     * list, used to give.
     */
    @Test
    void anOpenDuringTheLastCloseGetsTheStore(@TempDir Path dir) throws Exception {
        for (int i = 0; i < 300; i++) {
            EmbeddedWarmStore old = EmbeddedWarmStore.open(dir, D);
            old.apply(List.of(WarmTier.Op.upsert(point("t", "m" + i, Hdv.random(D, i).words()))));
            old.sync();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            Thread closer = new Thread(() -> {
                try {
                    go.await();
                    old.close();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            closer.start();
            go.countDown();
            // Open a little later each round, so that some opens land inside the close.
            long until = System.nanoTime() + (i % 100) * 2_000L;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            EmbeddedWarmStore next = EmbeddedWarmStore.open(dir, D);
            closer.join();
            assertThat(next.count("t")).as("round %d: what the closing store wrote", i).isEqualTo(i + 1);
            next.close();
        }
    }

    /**
     * A close that an interrupt cut short (a cancelled task: its force closes the log channel)
     * still frees the lock, and closing again afterwards (the task's clean-up) is harmless: it
     * neither throws nor closes a newer store of the same directory.
     */
    @Test
    void anInterruptedCloseFreesTheLockAndASecondCloseChangesNothing(@TempDir Path dir) throws Exception {
        EmbeddedWarmStore old = EmbeddedWarmStore.open(dir, D);
        old.apply(List.of(WarmTier.Op.upsert(point("t", "kept", Hdv.random(D, 1).words()))));
        old.sync();
        Thread.currentThread().interrupt();
        try {
            old.close();
        } catch (java.io.IOException e) {
            assertThat(e).isInstanceOf(java.nio.channels.ClosedByInterruptException.class);
        } finally {
            Thread.interrupted();
        }
        try (EmbeddedWarmStore next = EmbeddedWarmStore.open(dir, D)) {
            assertThat(next).isNotSameAs(old);
            assertThat(next.count("t")).isEqualTo(1);
            old.close(); // the clean-up's second close
            assertThat(EmbeddedWarmStore.open(dir, D)).as("still the open one").isSameAs(next);
            next.close(); // the extra open's close
            next.apply(List.of(WarmTier.Op.upsert(point("t", "more", Hdv.random(D, 2).words()))));
            assertThat(next.count("t")).isEqualTo(2);
        }
    }

    @Test
    void manyTiesAtTheKthDistanceAreOrderedByMemoryId(@TempDir Path dir) throws Exception {
        try (EmbeddedWarmStore s = EmbeddedWarmStore.open(dir, D)) {
            long[] same = Hdv.random(D, 9).words();
            List<WarmTier.Op> ops = new ArrayList<>();
            for (int i = 99; i >= 0; i--) { // 100 identical vectors, inserted in reverse id order
                ops.add(WarmTier.Op.upsert(point("t", String.format("m%03d", i), same)));
            }
            s.apply(ops);
            assertThat(s.search("t", same, 5)).extracting(h -> h.point.memoryId).containsExactly("m000", "m001", "m002", "m003", "m004");
        }
    }
}
