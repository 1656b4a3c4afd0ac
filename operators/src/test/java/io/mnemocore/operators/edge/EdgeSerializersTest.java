package io.mnemocore.operators.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.query.Hit;
import io.mnemocore.operators.query.HotChange;
import io.mnemocore.operators.query.PartialResult;
import io.mnemocore.operators.query.Query;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public field of every edge type survives serialize/deserialize and copy. The records are
 * filled by reflection, so a field added to a class and forgotten in its serializer fails here.
 */
class EdgeSerializersTest {

    static Stream<Arguments> types() {
        return Stream.of(
                Arguments.of(EdgeTypes.MEMORY_EVENT),
                Arguments.of(EdgeTypes.TRANSITION),
                Arguments.of(EdgeTypes.HOT_CHANGE),
                Arguments.of(EdgeTypes.QUERY),
                Arguments.of(EdgeTypes.PARTIAL_RESULT),
                Arguments.of(EdgeTypes.QUERY_REPLY));
    }

    @ParameterizedTest
    @MethodSource("types")
    <T> void everyFieldComesBackFromTheWireAndFromACopy(TypeInformation<T> type) throws Exception {
        TypeSerializer<T> ser = type.createSerializer(new SerializerConfigImpl());
        for (int seed = 1; seed <= 3; seed++) {
            T full = filled(type.getTypeClass(), seed);
            assertSameFields(roundTrip(ser, full), full, type.getTypeClass().getSimpleName());
            assertSameFields(ser.copy(full), full, type.getTypeClass().getSimpleName());
            assertThat(ser.copy(full)).isNotSameAs(full);
        }
        // A fresh instance: its nulls (and MemoryEvent's defaults) stay as they are.
        T empty = ser.createInstance();
        assertSameFields(roundTrip(ser, empty), empty, type.getTypeClass().getSimpleName());
        assertSameFields(ser.copy(empty), empty, type.getTypeClass().getSimpleName());
    }

    /** Records follow each other on a channel: each must read exactly what it wrote. */
    @ParameterizedTest
    @MethodSource("types")
    <T> void recordsInARowReadBackInOrder(TypeInformation<T> type) throws Exception {
        TypeSerializer<T> ser = type.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        List<T> written = new ArrayList<>();
        for (int seed = 1; seed <= 4; seed++) {
            T r = seed % 2 == 0 ? ser.createInstance() : filled(type.getTypeClass(), seed);
            written.add(r);
            ser.serialize(r, out);
        }
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        for (T r : written) {
            assertSameFields(ser.deserialize(in), r, type.getTypeClass().getSimpleName());
        }
        assertThat(in.available()).isZero();
    }

    @ParameterizedTest
    @MethodSource("types")
    <T> void snapshotRestoresAnEqualSerializer(TypeInformation<T> type) throws Exception {
        TypeSerializer<T> ser = type.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, ser.snapshotConfiguration());
        TypeSerializerSnapshot<T> back = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        assertThat(back.restoreSerializer()).isEqualTo(ser);
        assertThat(back.resolveSchemaCompatibility(ser.snapshotConfiguration()).isCompatibleAsIs()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("types")
    <T> void typeInformationEqualsItselfOnly(TypeInformation<T> type) {
        assertThat(type).isEqualTo(type);
        assertThat(types().map(a -> a.get()[0]).filter(type::equals)).hasSize(1);
        assertThat(type).isNotEqualTo(TypeInformation.of(type.getTypeClass()));
    }

    private static <T> T roundTrip(TypeSerializer<T> ser, T record) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        ser.serialize(record, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        T back = ser.deserialize(in);
        assertThat(in.available()).as("bytes left after one record").isZero();
        return back;
    }

    /** Every public instance field set to a value that depends on the seed and the field (never a default). */
    @SuppressWarnings("unchecked")
    static <T> T filled(Class<T> c, int seed) throws Exception {
        T o = c.getConstructor().newInstance();
        int i = 0;
        for (Field f : fields(c)) {
            f.set(o, value(f.getType(), seed * 100 + i++, f.getName()));
        }
        return o;
    }

    private static Object value(Class<?> t, int n, String name) throws Exception {
        if (t == String.class) {
            return name + "-" + n + "-é";
        } else if (t == int.class) {
            return n + 7;
        } else if (t == long.class) {
            return (long) n << 33 | 5;
        } else if (t == double.class) {
            return n + 0.25;
        } else if (t == boolean.class) {
            return true;
        } else if (t.isEnum()) {
            Object[] values = t.getEnumConstants();
            return values[n % values.length == 0 ? values.length - 1 : n % values.length];
        } else if (t == long[].class) {
            return new long[] {n, -1L, Long.MIN_VALUE};
        } else if (t == int[].class) {
            return new int[] {n, -2};
        } else if (t == byte[].class) {
            return new byte[] {(byte) n, 0, -1};
        } else if (t == String[].class) {
            return new String[] {name + n, "", null};
        } else if (t.isArray()) {
            Object a = Array.newInstance(t.getComponentType(), 2);
            Array.set(a, 0, filled(t.getComponentType(), n + 1));
            Array.set(a, 1, filled(t.getComponentType(), n + 2));
            return a;
        } else if (t == Query.class || t == Hit.class || t.getPackageName().startsWith("io.mnemocore")) {
            return filled(t, n + 3);
        }
        throw new AssertionError("no test value for a field of type " + t + " (" + name + "): teach this test and the serializer");
    }

    private static List<Field> fields(Class<?> c) {
        List<Field> out = new ArrayList<>();
        for (Field f : c.getFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                out.add(f);
            }
        }
        assertThat(out).as(c + " has fields").isNotEmpty();
        return out;
    }

    static void assertSameFields(Object actual, Object expected, String path) throws Exception {
        if (expected == null || actual == null) {
            assertThat(actual).as(path).isEqualTo(expected);
            return;
        }
        Class<?> c = expected.getClass();
        assertThat(actual.getClass()).as(path).isEqualTo(c);
        if (c.isArray() && !c.getComponentType().isPrimitive() && c.getComponentType() != String.class) {
            assertThat(Array.getLength(actual)).as(path).isEqualTo(Array.getLength(expected));
            for (int k = 0; k < Array.getLength(expected); k++) {
                assertSameFields(Array.get(actual, k), Array.get(expected, k), path + "[" + k + "]");
            }
        } else if (c.getPackageName().startsWith("io.mnemocore") && !c.isEnum()) {
            for (Field f : fields(c)) {
                assertSameFields(f.get(actual), f.get(expected), path + "." + f.getName());
            }
        } else {
            assertThat(actual).as(path).isEqualTo(expected);
        }
    }

    /** What the records carry: the classes these serializers must keep up with (guards the reflection above). */
    @org.junit.jupiter.api.Test
    void theFilledRecordsReallyDifferFromDefaults() throws Exception {
        PartialResult p = filled(PartialResult.class, 1);
        assertThat(p.hits).hasSize(2);
        assertThat(p.hits[1].payload).isNotEmpty();
        assertThat(p.query.hdv).hasSize(3);
        HotChange h = filled(HotChange.class, 1);
        assertThat(h.memory.hdv).isNotNull();
        assertThat(h.facts.lastAccessMs).isNotZero();
        assertThat(filled(MemoryEvent.class, 1).halfLifeMs).isNotZero();
        assertThat(filled(Transition.class, 1).archive).isNotNull();
    }
}
