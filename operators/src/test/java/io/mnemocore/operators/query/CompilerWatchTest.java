package io.mnemocore.operators.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compiler threads' state, read from a made-up {@code /proc/self/task}, and from the real one. */
class CompilerWatchTest {
    private long now;

    private static void thread(Path tasks, int tid, String name, char state) throws IOException {
        Path t = Files.createDirectories(tasks.resolve(Integer.toString(tid)));
        Files.writeString(t.resolve("comm"), name + "\n");
        Files.writeString(t.resolve("stat"), tid + " (" + name + ") " + state + " 1 1 0 0 -1 4194368 0 0\n");
    }

    @Test
    void onlyARunnableCompilerThreadCounts(@TempDir Path tasks) throws IOException {
        thread(tasks, 101, "C2 CompilerThre", 'S');
        thread(tasks, 102, "hot-index (1/2)", 'R');
        thread(tasks, 103, "C1 CompilerThre", 'S');
        CompilerWatch watch = new CompilerWatch(tasks, () -> now, Runnable::run);
        assertThat(watch.getAsBoolean()).isFalse();
        thread(tasks, 101, "C2 CompilerThre", 'R');
        assertThat(watch.getAsBoolean()).isTrue();
        thread(tasks, 101, "C2 CompilerThre", 'S');
        assertThat(watch.getAsBoolean()).isFalse();
    }

    /** HotSpot starts compiler threads under load: a new one is seen at the next look-up, a few seconds on (here listed at once). */
    @Test
    void newCompilerThreadsAreFoundAgainEveryFewSeconds(@TempDir Path tasks) throws IOException {
        thread(tasks, 101, "C2 CompilerThre", 'S');
        CompilerWatch watch = new CompilerWatch(tasks, () -> now, Runnable::run);
        assertThat(watch.getAsBoolean()).isFalse();
        thread(tasks, 104, "C2 CompilerThre", 'R');
        now += 1_000_000_000L;
        assertThat(watch.getAsBoolean()).isFalse();
        now += 5_000_000_000L;
        assertThat(watch.getAsBoolean()).isTrue();
        Files.delete(tasks.resolve("104/stat")); // the thread ended: not waiting
        assertThat(watch.getAsBoolean()).isFalse();
    }

    @Test
    void withoutProcNothingWaits(@TempDir Path dir) {
        assertThat(new CompilerWatch(dir.resolve("no-such-dir"), () -> now, Runnable::run).getAsBoolean()).isFalse();
    }

    /** HotSpot's own thread names, as this JVM runs them (C1 and C2 compiler threads). */
    @Test
    void theRunningJvmsCompilerThreadsAreFound() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "no /proc");
        assertThat(CompilerWatch.JVM.compilerStats()).isNotEmpty().allMatch(Files::isReadable);
    }
}
