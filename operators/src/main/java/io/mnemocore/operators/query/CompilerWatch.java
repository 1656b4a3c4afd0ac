package io.mnemocore.operators.query;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Whether one of the JVM's JIT compiler threads is waiting for a CPU or on one, read from
 * {@code /proc/self/task}. A real-time thread that runs code the JIT has not compiled yet keeps
 * the compiler, a normal thread, from the CPU it needs to compile that code ({@link
 * RealtimeBudget}); while this says yes, the budget leaves it more. The compiler threads come and
 * go (HotSpot starts more under load), so their ids are looked up again every few seconds; in
 * between a look costs one small read per compiler thread.
 */
final class CompilerWatch implements BooleanSupplier {
    private static final long REFRESH_NS = 5_000_000_000L;

    private final Path tasks;
    private final LongSupplier wallNs;
    private volatile List<Path> compilers = List.of();
    private volatile long refreshedAt;
    private volatile boolean listed;

    /** The running JVM's compiler threads. */
    static final CompilerWatch JVM = new CompilerWatch(Path.of("/proc/self/task"), System::nanoTime);

    CompilerWatch(Path tasks, LongSupplier wallNs) {
        this.tasks = tasks;
        this.wallNs = wallNs;
    }

    /** True when a compiler thread is runnable (state R: on a CPU or waiting for one). */
    @Override
    public boolean getAsBoolean() {
        long now = wallNs.getAsLong();
        if (!listed || now - refreshedAt >= REFRESH_NS) {
            compilers = compilerStats();
            refreshedAt = now;
            listed = true;
        }
        for (Path stat : compilers) {
            try {
                String s = Files.readString(stat, StandardCharsets.US_ASCII);
                int close = s.lastIndexOf(')');
                if (close >= 0 && close + 2 < s.length() && s.charAt(close + 2) == 'R') {
                    return true;
                }
            } catch (IOException e) {
                // the thread ended since the last look: not waiting
            }
        }
        return false;
    }

    /** The stat files of the threads named like HotSpot's compiler threads ("C2 CompilerThread0", cut to 15 characters). */
    List<Path> compilerStats() {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(tasks)) {
            for (Path t : all) {
                try {
                    String name = Files.readString(t.resolve("comm"), StandardCharsets.US_ASCII).trim();
                    if (name.contains("CompilerThre")) {
                        found.add(t.resolve("stat"));
                    }
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no /proc (not Linux): nothing to watch, the budget keeps its usual share
        }
        return found;
    }
}
