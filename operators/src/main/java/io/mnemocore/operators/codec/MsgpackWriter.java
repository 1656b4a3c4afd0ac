package io.mnemocore.operators.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes msgpack into one growing byte array, in the smallest format for each value, as
 * msgpack-java's packer does ({@code MsgpackWriterTest} compares the bytes). It exists for the
 * query path's hot encoders (the reply, and the ten {@code memory.access} events fed back per
 * query): msgpack-java's packer allocates a byte array per string and an encoder of its own, five
 * times the bytes of the message it writes. ASCII strings are copied char by char; constant keys
 * can be encoded once ({@link #encoded}) and written as they are ({@link #raw}); {@link #scratch}
 * reuses one buffer per thread, so a message costs one array, the one it returns.
 */
public final class MsgpackWriter {
    private static final int SCRATCH_BYTES = 4096;
    /** A scratch buffer grown past this by a large message is not kept. */
    private static final int SCRATCH_KEEP_BYTES = 1 << 16;
    private static final ThreadLocal<MsgpackWriter> SCRATCH = ThreadLocal.withInitial(() -> new MsgpackWriter(SCRATCH_BYTES));

    private byte[] buf;
    private int pos;

    /** @param capacity a hint: the bytes the message is expected to take */
    public MsgpackWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    /**
     * This thread's writer, emptied. For encoders that finish one message ({@link #toByteArray})
     * before they start the next on the same thread.
     */
    public static MsgpackWriter scratch() {
        MsgpackWriter w = SCRATCH.get();
        if (w.buf.length > SCRATCH_KEEP_BYTES) {
            w.buf = new byte[SCRATCH_BYTES];
        }
        w.pos = 0;
        return w;
    }

    /** A string in its msgpack form, to pass to {@link #raw} (map keys, constant values). */
    public static byte[] encoded(String s) {
        MsgpackWriter w = new MsgpackWriter(s.length() + 5);
        w.str(s);
        return w.toByteArray();
    }

    public MsgpackWriter mapHeader(int n) {
        return header(n, 0x80, 0xde, 0xdf);
    }

    public MsgpackWriter arrayHeader(int n) {
        return header(n, 0x90, 0xdc, 0xdd);
    }

    private MsgpackWriter header(int n, int fix, int b16, int b32) {
        ensure(5);
        if (n < 16) {
            buf[pos++] = (byte) (fix | n);
        } else if (n < (1 << 16)) {
            buf[pos++] = (byte) b16;
            put16(n);
        } else {
            buf[pos++] = (byte) b32;
            put32(n);
        }
        return this;
    }

    public MsgpackWriter nil() {
        ensure(1);
        buf[pos++] = (byte) 0xc0;
        return this;
    }

    public MsgpackWriter bool(boolean b) {
        ensure(1);
        buf[pos++] = (byte) (b ? 0xc3 : 0xc2);
        return this;
    }

    public MsgpackWriter integer(long v) {
        ensure(9);
        if (v >= 0) {
            if (v < 128) {
                buf[pos++] = (byte) v;
            } else if (v < (1 << 8)) {
                buf[pos++] = (byte) 0xcc;
                buf[pos++] = (byte) v;
            } else if (v < (1 << 16)) {
                buf[pos++] = (byte) 0xcd;
                put16((int) v);
            } else if (v < (1L << 32)) {
                buf[pos++] = (byte) 0xce;
                put32((int) v);
            } else {
                buf[pos++] = (byte) 0xcf;
                put64(v);
            }
        } else if (v >= -32) {
            buf[pos++] = (byte) v;
        } else if (v >= Byte.MIN_VALUE) {
            buf[pos++] = (byte) 0xd0;
            buf[pos++] = (byte) v;
        } else if (v >= Short.MIN_VALUE) {
            buf[pos++] = (byte) 0xd1;
            put16((int) v);
        } else if (v >= Integer.MIN_VALUE) {
            buf[pos++] = (byte) 0xd2;
            put32((int) v);
        } else {
            buf[pos++] = (byte) 0xd3;
            put64(v);
        }
        return this;
    }

    public MsgpackWriter float64(double v) {
        ensure(9);
        buf[pos++] = (byte) 0xcb;
        put64(Double.doubleToRawLongBits(v));
        return this;
    }

    public MsgpackWriter str(String s) {
        int n = s.length();
        int start = pos;
        strHeader(n); // right if every char is ASCII: one byte each
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                pos = start;
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8); // unpaired surrogates become '?', as in msgpack-java
                strHeader(utf8.length);
                return raw(utf8);
            }
            buf[pos++] = (byte) c;
        }
        return this;
    }

    private void strHeader(int n) {
        if (n < 32) {
            ensure(1);
            buf[pos++] = (byte) (0xa0 | n);
        } else {
            lengthHeader(n, 0xd9, 0xda, 0xdb);
        }
    }

    public MsgpackWriter binHeader(int n) {
        lengthHeader(n, 0xc4, 0xc5, 0xc6);
        return this;
    }

    /** A length in 1, 2 or 4 bytes after the format byte for each (str8/16/32, bin8/16/32). */
    private void lengthHeader(int n, int b8, int b16, int b32) {
        ensure(5);
        if (n < (1 << 8)) {
            buf[pos++] = (byte) b8;
            buf[pos++] = (byte) n;
        } else if (n < (1 << 16)) {
            buf[pos++] = (byte) b16;
            put16(n);
        } else {
            buf[pos++] = (byte) b32;
            put32(n);
        }
    }

    /** Bytes that are msgpack already: an {@link #encoded} constant, a stored payload, a binary's body. */
    public MsgpackWriter raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
        return this;
    }

    /** Overwrites a byte already written (a map header whose count is known only at the end). */
    public MsgpackWriter patchByte(int at, int b) {
        if (at < 0 || at >= pos) {
            throw new IndexOutOfBoundsException("byte " + at + " of " + pos + " written");
        }
        buf[at] = (byte) b;
        return this;
    }

    /** The message so far, in an array of its own. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }

    private void put16(int v) {
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void put32(int v) {
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void put64(long v) {
        put32((int) (v >>> 32));
        put32((int) v);
    }

    private void ensure(int more) {
        if (buf.length - pos < more) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }
}
