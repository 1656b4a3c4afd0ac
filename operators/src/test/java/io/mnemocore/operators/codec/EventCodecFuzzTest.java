package io.mnemocore.operators.codec;

import static io.mnemocore.operators.codec.PyPack.dict;
import static io.mnemocore.operators.codec.PyPack.packb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.mnemocore.hdv.Hdv;
import io.mnemocore.hdv.SplitMix64;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Feeds the decoder 120,000 random, mutated and structurally random inputs. It must never throw,
 * must classify every input, and whatever it accepts must re-encode to the same event.
 */
class EventCodecFuzzTest {
    private static final int D = 1024; // small D keeps valid seeds short, so mutations hit structure
    private final EventCodec codec = new EventCodec(CodecLimits.defaults(D));
    private final SplitMix64 rnd = new SplitMix64(2026);
    private final Map<DecodeError.Reason, Integer> reasons = new EnumMap<>(DecodeError.Reason.class);
    private int accepted;

    private int next(int bound) {
        return (int) Long.remainderUnsigned(rnd.nextLong(), bound);
    }

    private List<byte[]> seeds() {
        Hdv h = Hdv.random(D, 3);
        List<byte[]> s = new ArrayList<>();
        s.add(packb(dict("type", "memory.write", "hdv", h.toPacked(), "context_id", "c", "ltp_strength", 0.9, "timestamp", 1700000000000L)));
        s.add(packb(dict("type", "memory.write", "hdv", h.toUnpacked(), "tenant", "t1", "memory_id", "m")));
        s.add(packb(dict("type", "memory.write", "text", "hello world", "payload", dict("a", List.of(1, 2.5, "x")))));
        s.add(packb(dict("type", "memory.access", "memory_id", "m", "access_count", 2, "last_access", 5)));
        s.add(packb(dict("type", "memory.delete", "memory_id", "m")));
        s.add(packb(dict("type", "consolidation.trigger", "tier", "warm_to_cold", "memory_ids", List.of("a", "b", "c"))));
        s.add(packb(dict("type", "inference.predict", "context_hdv", h.toPacked(), "prediction_window", 30)));
        s.add(packb(dict("type", "query", "query_id", "q", "text", "what", "k", 3, "reply_to", "r")));
        return s;
    }

    private void check(byte[] input) {
        DecodeResult r;
        try {
            r = codec.decode(input, "1-0", null);
        } catch (Throwable t) {
            fail("decoder threw on input of " + input.length + " bytes", t);
            return;
        }
        if (r.isOk()) {
            accepted++;
            assertThat(r.error()).isNull();
            MemoryEvent e = r.event();
            assertThat(e.type).isNotNull();
            assertThat(e.tenant).isNotNull();
            DecodeResult again = codec.decode(codec.encode(e), "1-0", null);
            assertThat(again.isOk()).as("re-encoded event must decode: %s", again).isTrue();
            assertThat(again.event()).isEqualTo(e);
        } else {
            assertThat(r.error().reason()).isNotNull();
            assertThat(r.error().detail()).isNotBlank();
            reasons.merge(r.error().reason(), 1, Integer::sum);
        }
    }

    @Test
    void neverThrowsAndClassifiesEveryInput() {
        List<byte[]> seeds = seeds();
        for (byte[] s : seeds) {
            assertThat(codec.decode(s, "1-0", null).isOk()).isTrue();
        }
        int inputs = 0;
        // 1. Random bytes, half of them starting with a map header.
        for (int i = 0; i < 40_000; i++, inputs++) {
            byte[] b = new byte[next(600)];
            for (int j = 0; j < b.length; j++) {
                b[j] = (byte) rnd.nextLong();
            }
            if (b.length > 0 && i % 2 == 0) {
                b[0] = (byte) (0x80 | next(16));
            }
            check(b);
        }
        // 2. Mutations of valid events.
        byte[] interesting = {0, (byte) 0xFF, (byte) 0xC1, (byte) 0xC0, (byte) 0xC4, (byte) 0xC6, (byte) 0xD9,
            (byte) 0xDB, (byte) 0xDC, (byte) 0xDD, (byte) 0xDE, (byte) 0xDF, (byte) 0xCB, (byte) 0xCF, 0x7F, (byte) 0x90};
        for (int i = 0; i < 70_000; i++, inputs++) {
            byte[] b = seeds.get(next(seeds.size())).clone();
            int muts = 1 + next(4);
            for (int m = 0; m < muts && b.length > 0; m++) {
                int pos = next(b.length);
                switch (next(6)) {
                    case 0:
                        b[pos] ^= (byte) (1 << next(8));
                        break;
                    case 1:
                        b[pos] = interesting[next(interesting.length)];
                        break;
                    case 2:
                        b = java.util.Arrays.copyOf(b, pos);
                        break;
                    case 3: {
                        byte[] ins = new byte[1 + next(8)];
                        for (int j = 0; j < ins.length; j++) ins[j] = (byte) rnd.nextLong();
                        byte[] nb = new byte[b.length + ins.length];
                        System.arraycopy(b, 0, nb, 0, pos);
                        System.arraycopy(ins, 0, nb, pos, ins.length);
                        System.arraycopy(b, pos, nb, pos + ins.length, b.length - pos);
                        b = nb;
                        break;
                    }
                    case 4: // a huge declared length
                        for (int j = 0; j < 4 && pos + j < b.length; j++) b[pos + j] = (byte) 0xFF;
                        break;
                    default: {
                        int len = Math.min(b.length - pos, 1 + next(16));
                        byte[] nb = new byte[b.length + len];
                        System.arraycopy(b, 0, nb, 0, pos + len);
                        System.arraycopy(b, pos, nb, pos + len, b.length - pos);
                        b = nb;
                    }
                }
            }
            check(b);
        }
        // 3. Structurally valid maps with random keys and values of random types.
        String[] keys = {"type", "hdv", "text", "memory_id", "context_id", "ltp_strength", "timestamp", "tenant",
            "access_count", "tier", "memory_ids", "context_hdv", "prediction_window", "query_id", "k", "reply_to", "payload", "zzz"};
        String[] types = {"memory.write", "memory.access", "memory.delete", "consolidation.trigger", "inference.predict", "query", "nope"};
        for (int i = 0; i < 10_000; i++, inputs++) {
            Map<String, Object> m = dict("type", types[next(types.length)]);
            int n = next(7);
            for (int j = 0; j < n; j++) {
                m.put(keys[next(keys.length)], randomValue());
            }
            check(packb(m));
        }
        System.out.printf("fuzz: %d inputs, %d accepted, rejected by reason %s%n", inputs, accepted, reasons);
        assertThat(inputs).isGreaterThanOrEqualTo(100_000);
        // The fuzzer must reach deep into the decoder, not just fail on the first byte.
        assertThat(reasons.keySet().size()).isGreaterThanOrEqualTo(12);
        assertThat(accepted).isGreaterThan(1000);
    }

    private Object randomValue() {
        switch (next(9)) {
            case 0: return null;
            case 1: return (long) (rnd.nextLong() >> next(64));
            case 2: return rnd.nextGaussian() * 2;
            case 3: return "s" + next(1000);
            case 4: return new byte[next(3) == 0 ? D / 8 : next(40)];
            case 5: return List.of("a", "b");
            case 6: return List.of(1, "x");
            case 7: return dict("n", 1);
            default: return Hdv.random(D, next(10)).toUnpacked();
        }
    }
}
