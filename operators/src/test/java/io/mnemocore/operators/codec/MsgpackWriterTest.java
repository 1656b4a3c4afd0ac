package io.mnemocore.operators.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** Every value at and around each of its format's bounds comes out as msgpack-java's packer writes it. */
class MsgpackWriterTest {
    private interface Both {
        void write(MsgpackWriter w, MessageBufferPacker p) throws IOException;
    }

    private static void same(String what, Both both) throws IOException {
        MsgpackWriter w = new MsgpackWriter(1); // starts too small: growing is tested everywhere
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            both.write(w, p);
            assertThat(w.toByteArray()).as(what).isEqualTo(p.toByteArray());
        }
    }

    private static List<Long> around(long... bounds) {
        List<Long> out = new ArrayList<>();
        for (long b : bounds) {
            for (long d = -2; d <= 2; d++) {
                out.add(b + d);
            }
        }
        return out;
    }

    @Test
    void integersTakeTheSmallestFormat() throws IOException {
        List<Long> values = around(0, 127, 255, 65_535, 4_294_967_295L, -32, -128, -32_768, Integer.MIN_VALUE);
        values.addAll(List.of(Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1));
        Random rnd = new Random(5);
        for (int i = 0; i < 1000; i++) {
            values.add(rnd.nextLong() >> rnd.nextInt(64));
        }
        for (long v : values) {
            same("long " + v, (w, p) -> {
                w.integer(v);
                p.packLong(v);
            });
            if (v == (int) v) {
                same("int " + v, (w, p) -> {
                    w.integer(v);
                    p.packInt((int) v);
                });
            }
        }
    }

    @Test
    void stringsOfEveryLengthFormatAndEncoding() throws IOException {
        List<String> values = new ArrayList<>(List.of("", "a", "memory_id", "tenant-ü", "日本語", "emoji \uD83D\uDE00",
                "unpaired \uD800 surrogate", "nul \0 char"));
        for (long n : around(31, 255, 65_535)) {
            values.add("x".repeat((int) n));
            values.add("é".repeat((int) n / 2)); // two bytes a char: the header counts bytes
        }
        values.add("y".repeat(70_000));
        for (String s : values) {
            same("string of " + s.length() + " chars", (w, p) -> {
                w.str(s);
                p.packString(s);
            });
            same("encoded string of " + s.length() + " chars", (w, p) -> {
                w.raw(MsgpackWriter.encoded(s));
                p.packString(s);
            });
        }
    }

    @Test
    void headersBinariesAndScalars() throws IOException {
        for (long n : around(15, 65_535)) {
            if (n < 0) {
                continue;
            }
            same("map header " + n, (w, p) -> {
                w.mapHeader((int) n);
                p.packMapHeader((int) n);
            });
            same("array header " + n, (w, p) -> {
                w.arrayHeader((int) n);
                p.packArrayHeader((int) n);
            });
        }
        for (long n : around(255, 65_535)) {
            byte[] body = new byte[(int) n];
            new Random(n).nextBytes(body);
            same("binary of " + n, (w, p) -> {
                w.binHeader(body.length).raw(body);
                p.packBinaryHeader(body.length);
                p.writePayload(body);
            });
        }
        for (double d : new double[] {0.0, -0.0, 1.5, -1e300, Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE}) {
            same("double " + d, (w, p) -> {
                w.float64(d);
                p.packDouble(d);
            });
        }
        same("nil and booleans", (w, p) -> {
            w.nil().bool(true).bool(false);
            p.packNil().packBoolean(true).packBoolean(false);
        });
    }

    @Test
    void aNestedMessageComesOutWhole() throws IOException {
        same("a reply-shaped message", (w, p) -> {
            w.mapHeader(2).str("hits").arrayHeader(2);
            p.packMapHeader(2).packString("hits").packArrayHeader(2);
            for (int i = 0; i < 2; i++) {
                w.mapHeader(2).str("memory_id").str("m-" + i).str("distance").integer(4000 + i);
                p.packMapHeader(2).packString("memory_id").packString("m-" + i).packString("distance").packInt(4000 + i);
            }
            w.str("metadata").mapHeader(1).str("degraded").bool(false);
            p.packString("metadata").packMapHeader(1).packString("degraded").packBoolean(false);
        });
    }

    @Test
    void scratchMessagesAreEachTheirOwnArray() throws IOException {
        byte[] first = MsgpackWriter.scratch().mapHeader(1).str("k").str("first").toByteArray();
        byte[] copy = first.clone();
        String big = "z".repeat(200_000); // grows the scratch buffer past what it keeps
        byte[] second = MsgpackWriter.scratch().str(big).toByteArray();
        byte[] third = MsgpackWriter.scratch().arrayHeader(2).integer(1).integer(2).toByteArray();
        assertThat(first).isEqualTo(copy);
        same("second scratch message", (w, p) -> {
            w.raw(second);
            p.packString(big);
        });
        same("third scratch message", (w, p) -> {
            w.raw(third);
            p.packArrayHeader(2).packInt(1).packInt(2);
        });
        assertThat(third).hasSize(3);
    }
}
