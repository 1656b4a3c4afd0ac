package io.mnemocore.hdv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bench commands' parser (udf-gpu has no job module to share one with: the GPU bundle runs without it). */
class ArgsTest {
    private static final Set<String> KNOWN = Set.of("n", "margin");

    @Test
    void readsValuesInBothForms() {
        Args a = new Args(new String[] {"--n", "100_000", "--margin=2.5", "--verify"}, KNOWN, Set.of("verify"));
        assertThat(a.integer("n", 1)).isEqualTo(100_000);
        assertThat(a.real("margin", 4)).isEqualTo(2.5);
        assertThat(a.real("other", 4)).isEqualTo(4);
        assertThat(a.flag("verify")).isTrue();
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> new Args(new String[] {"--n"}, KNOWN, Set.of())).hasMessage("option --n needs a value");
        assertThatThrownBy(() -> new Args(new String[] {"--n", "1", "--n=2"}, KNOWN, Set.of()))
                .hasMessage("option --n is given more than once");
        assertThatThrownBy(() -> new Args(new String[] {"--margin", "wide"}, KNOWN, Set.of()).real("margin", 4))
                .hasMessage("--margin expects a number, got 'wide'");
        assertThatThrownBy(() -> new Args(new String[] {"--n", "many"}, KNOWN, Set.of()).integer("n", 4))
                .hasMessage("--n expects an integer, got 'many'");
        assertThatThrownBy(() -> new Args(new String[] {"--m", "1"}, KNOWN, Set.of())).hasMessageStartingWith("unknown option --m");
    }
}
