package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.hdv.Hdv;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class InferenceBenchTest {

    /** The context-vector run rests on this: a routine step's nearest other memories are the steps either side of it. */
    @Test
    void aRoutineStepsNearestOthersAreTheStepsEitherSide() {
        int dim = 16384, contexts = 3, routine = 10, distractors = 15;
        long[][] v = InferenceBench.vectors(dim, contexts, routine, distractors);
        assertThat(v.length).isEqualTo(contexts * routine + distractors);
        int step = routine + 4; // context 1, step 4
        int[] nearest = IntStream.range(0, v.length).filter(m -> m != step).boxed()
                .sorted(Comparator.comparingInt(m -> Hdv.hamming(v[m], v[step]))).limit(2).mapToInt(Integer::intValue).toArray();
        assertThat(nearest).containsExactlyInAnyOrder(step - 1, step + 1);
        assertThat(Hdv.hamming(v[step], v[step + 1])).isEqualTo(dim / 16);
        // Other routines and the other memories lie at chance.
        assertThat(Hdv.hamming(v[step], v[4])).isBetween(dim / 2 - 384, dim / 2 + 384);
        assertThat(Hdv.hamming(v[step], v[contexts * routine])).isBetween(dim / 2 - 384, dim / 2 + 384);
    }
}
