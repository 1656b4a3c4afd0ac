package io.mnemocore.hdv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The bench commands' options, taken by name (the job commands' CommandLine builds on it: CommandLineTest). */
class ArgsTest {

    @Test
    void takesOptionsInBothFormsAndFlagsAnywhere() {
        Args a = Args.of(new String[] {"--n", "100_000", "--verify", "--margin=2.5", "--out", "r.txt"});
        assertThat(a.flag("--verify")).isTrue();
        assertThat(a.flag("--json")).isFalse();
        assertThat(a.intOpt("--n", 1)).isEqualTo(100_000);
        assertThat(a.doubleOpt("--margin", 4)).isEqualTo(2.5);
        assertThat(a.doubleOpt("--other", 4)).isEqualTo(4);
        assertThat(a.pathOpt("--out", null)).isEqualTo(Path.of("r.txt"));
        assertThat(a.longOpt("--seed", 42)).isEqualTo(42);
        assertThat(a.opt("--kernel", "cpu")).isEqualTo("cpu");
        a.done("--n N");
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> Args.of(new String[] {"--n"}).intOpt("--n", 1)).hasMessage("--n needs a value");
        assertThatThrownBy(() -> Args.of(new String[] {"--n", "1", "--n=2"}).intOpt("--n", 1))
                .hasMessage("--n is given more than once");
        assertThatThrownBy(() -> Args.of(new String[] {"--margin", "wide"}).doubleOpt("--margin", 4))
                .hasMessage("--margin expects a number, got 'wide'");
        assertThatThrownBy(() -> Args.of(new String[] {"--n", "many"}).intOpt("--n", 4))
                .hasMessage("--n expects an integer, got 'many'");
        assertThatThrownBy(() -> Args.of(new String[] {"--seed", "1.5"}).longOpt("--seed", 4))
                .hasMessage("--seed expects an integer, got '1.5'");
        Args typo = Args.of(new String[] {"--m", "1"});
        assertThat(typo.intOpt("--n", 7)).isEqualTo(7);
        assertThatThrownBy(() -> typo.done("--n N")).hasMessage("unknown option '--m' (all left over: [--m, 1]); known: --n N");
        assertThatThrownBy(() -> Args.of(new String[] {"extra"}).done("")).hasMessage("unexpected argument 'extra'");
    }

    @Test
    void benchCommandsRefuseBadOptionsBeforeTheyRun() {
        assertThatThrownBy(() -> HammingBench.main(new String[] {"--n", "1000", "--verfy"}))
                .hasMessageStartingWith("unknown option '--verfy'");
        assertThatThrownBy(() -> EncodeBench.main(new String[] {"--texts"})).hasMessage("--texts needs a value");
    }
}
