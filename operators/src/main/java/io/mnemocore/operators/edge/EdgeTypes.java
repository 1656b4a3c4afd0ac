package io.mnemocore.operators.edge;

import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.query.HotChange;
import io.mnemocore.operators.query.PartialResult;
import io.mnemocore.operators.query.Query;
import io.mnemocore.operators.query.QueryReply;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The types of the records on the job's busiest network edges, each with its own serializer
 * ({@link EdgeSerializers}) instead of Flink's POJO serializer. At 500 queries a second every hit
 * comes back as a memory.access, so each query puts about 10 events, 20 transitions and 10 HOT
 * changes through these edges, and the POJO serializer boxed every number field through
 * reflection on the way (README, Figures, "Seventeenth pass").
 *
 * <p>Given to the edges only, where the job is wired ({@code MnemoCoreJob}); the classes are not
 * annotated. State that holds these classes (the HOT index's waiting queries, the merger's open
 * merges, the async operators' in-flight inputs) keeps the POJO serializer it was written with,
 * so savepoints are unchanged; so does the store of recent replies ({@code QueryResults}), whose
 * input edge carries {@link #QUERY_REPLY}. In-flight records of an unaligned checkpoint are written with
 * these serializers: restore those only into the same version of the job (savepoints are aligned
 * and carry none).
 */
public final class EdgeTypes {
    private EdgeTypes() {}

    public static final TypeInformation<MemoryEvent> MEMORY_EVENT = new EdgeType<>(MemoryEvent.class, new EdgeSerializers.MemoryEvents());
    public static final TypeInformation<Transition> TRANSITION = new EdgeType<>(Transition.class, new EdgeSerializers.Transitions());
    public static final TypeInformation<HotChange> HOT_CHANGE = new EdgeType<>(HotChange.class, new EdgeSerializers.HotChanges());
    public static final TypeInformation<Query> QUERY = new EdgeType<>(Query.class, new EdgeSerializers.Queries());
    public static final TypeInformation<PartialResult> PARTIAL_RESULT = new EdgeType<>(PartialResult.class, new EdgeSerializers.PartialResults());
    public static final TypeInformation<QueryReply> QUERY_REPLY = new EdgeType<>(QueryReply.class, new EdgeSerializers.Replies());

    /** A type whose serializer is given, not derived: Flink has no public wrapper for that. */
    static final class EdgeType<T> extends TypeInformation<T> {
        private static final long serialVersionUID = 1L;
        private final Class<T> type;
        private final TypeSerializer<T> serializer;

        EdgeType(Class<T> type, TypeSerializer<T> serializer) {
            this.type = type;
            this.serializer = serializer;
        }

        @Override
        public boolean isBasicType() {
            return false;
        }

        @Override
        public boolean isTupleType() {
            return false;
        }

        @Override
        public int getArity() {
            return 1;
        }

        @Override
        public int getTotalFields() {
            return 1;
        }

        @Override
        public Class<T> getTypeClass() {
            return type;
        }

        @Override
        public boolean isKeyType() {
            return false;
        }

        @Override
        public TypeSerializer<T> createSerializer(SerializerConfig config) {
            return serializer.duplicate();
        }

        @Override
        public String toString() {
            return "EdgeType(" + type.getSimpleName() + ")";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EdgeType<?> t && t.type == type && t.serializer.equals(serializer);
        }

        @Override
        public int hashCode() {
            return Objects.hash(type, serializer);
        }

        @Override
        public boolean canEqual(Object o) {
            return o instanceof EdgeType;
        }
    }
}
