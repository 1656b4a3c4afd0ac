package io.mnemocore.operators.query;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Whether one of the JVM's JIT compiler threads is waiting for a CPU or on one, read from
 * {@code /proc/self/task}. A real-time thread that runs code the JIT has not compiled yet keeps
 * the compiler, a normal thread, from the CPU it needs to compile that code ({@link
 * RealtimeBudget}); while this says yes, the budget leaves it more. A look costs one small read
 * per compiler thread (5–23 µs here). The compiler threads come and go (HotSpot starts more under
 * load), so their ids are looked up again every few seconds, but not on the query thread that
 * asks: listing ~200 threads took 1.6–14 ms here, so a normal-priority thread does it while the
 * old list serves.
 */
final class CompilerWatch implements BooleanSupplier {
    private static final long REFRESH_NS = 5_000_000_000L;

    /** Lists the threads again, off the real-time thread that asks. */
    private static final Executor LISTER = QueryPathPriority.normalWorker("compiler-watch");

    /** The running JVM's compiler threads (listed when a real-time thread first takes its budget). */
    static final CompilerWatch JVM = new CompilerWatch(Path.of("/proc/self/task"), System::nanoTime, LISTER);

    private final Path tasks;
    private final LongSupplier wallNs;
    private final Executor lister;
    private final AtomicBoolean listing = new AtomicBoolean();
    private volatile List<Path> compilers;
    private volatile long listedAt;

    CompilerWatch(Path tasks, LongSupplier wallNs, Executor lister) {
        this.tasks = tasks;
        this.wallNs = wallNs;
        this.lister = lister;
        this.compilers = compilerStats();
        this.listedAt = wallNs.getAsLong();
    }

    /** True when a compiler thread is runnable (state R: on a CPU or waiting for one). */
    @Override
    public boolean getAsBoolean() {
        long now = wallNs.getAsLong();
        if (now - listedAt >= REFRESH_NS && listing.compareAndSet(false, true)) {
            listedAt = now;
            lister.execute(() -> {
                try {
                    compilers = compilerStats();
                } finally {
                    listing.set(false);
                }
            });
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
