package io.mnemocore.operators.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mnemocore.hdv.Hdv;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events made by real Python ({@code msgpack.packb} of the blueprint's dicts, HDVs from numpy's
 * {@code tobytes()} in both layouts) must decode to the exact bits numpy had. {@code ./mnemocore
 * test} installs Debian's python3-msgpack and python3-numpy; without them this test is skipped.
 */
public class PythonInteropTest {
    static final String SCRIPT = String.join("\n",
            "import sys, struct, time, msgpack, numpy as np",
            "D = 16384",
            "out, bits_out = open(sys.argv[1], 'wb'), open(sys.argv[2], 'wb')",
            "for i in range(20):",
            "    rng = np.random.RandomState(i)",
            "    x = rng.randn(D)",
            "    bits = (x > 0).astype(np.uint8)",
            "    hdv = np.packbits(bits) if i % 2 == 0 else bits",
            "    event = {'type': 'memory.write', 'hdv': hdv.tobytes(), 'context_id': 'ctx-%d' % i,",
            "             'ltp_strength': 0.9, 'timestamp': int(time.time() * 1000)}",
            "    packed = msgpack.packb(event)",
            "    out.write(struct.pack('>I', len(packed)) + packed)",
            "    bits_out.write(bits.tobytes())",
            "q = msgpack.packb({'type': 'query', 'query_id': 'q1', 'tenant': 'acme', 'text': 'naïve café', 'k': 5,",
            "                   'reply_to': 'haim:replies:a'})",
            "out.write(struct.pack('>I', len(q)) + q)",
            "");

    public static String python() {
        for (String py : new String[] {"/usr/bin/python3", "python3"}) {
            try {
                Process p = new ProcessBuilder(py, "-c", "import msgpack, numpy").redirectErrorStream(true).start();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return py;
                }
            } catch (Exception ignored) {
                // try the next one
            }
        }
        return null;
    }

    @Test
    void decodesEventsMadeByPythonMsgpackAndNumpy(@TempDir Path dir) throws Exception {
        String py = python();
        assumeTrue(py != null, "no python3 with msgpack and numpy (./mnemocore test installs python3-msgpack python3-numpy)");
        Path script = dir.resolve("make_events.py");
        Files.writeString(script, SCRIPT);
        Path events = dir.resolve("events.bin"), bits = dir.resolve("bits.bin");
        Process p = new ProcessBuilder(py, script.toString(), events.toString(), bits.toString()).inheritIO().start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();

        int d = 16384;
        EventCodec codec = new EventCodec(CodecLimits.defaults(d));
        byte[] allBits = Files.readAllBytes(bits);
        try (DataInputStream in = new DataInputStream(Files.newInputStream(events))) {
            for (int i = 0; i < 20; i++) {
                byte[] rec = new byte[in.readInt()];
                in.readFully(rec);
                DecodeResult r = codec.decode(rec, "1700000000000-" + i, null);
                assertThat(r.isOk()).as("event %d: %s", i, r).isTrue();
                Hdv h = Hdv.wrap(d, r.event().hdv);
                for (int b = 0; b < d; b++) {
                    assertThat(h.bit(b)).as("event %d bit %d", i, b).isEqualTo(allBits[i * d + b] == 1);
                }
                assertThat(r.event().contextId).isEqualTo("ctx-" + i);
                assertThat(r.event().ltpStrength).isEqualTo(0.9);
            }
            byte[] rec = new byte[in.readInt()];
            in.readFully(rec);
            MemoryEvent q = codec.decode(rec, "1-0", null).event();
            assertThat(q.text).isEqualTo("naïve café");
            assertThat(q.tenant).isEqualTo("acme");
            assertThat(q.k).isEqualTo(5);
        }
    }
}
