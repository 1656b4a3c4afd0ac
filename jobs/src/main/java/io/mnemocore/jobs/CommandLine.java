package io.mnemocore.jobs;

import io.mnemocore.hdv.bench.Args;
import io.mnemocore.jobs.config.ConfigLoader;
import io.mnemocore.jobs.config.MnemoConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of every {@code ./mnemocore} command in this module: {@code --config FILE} and
 * {@code --set key=value} (also {@code --set=key=value}) for the configuration, set apart here;
 * the command's own options are taken by name as {@link Args} takes the bench commands'.
 */
public final class CommandLine extends Args {
    private final List<String> jobArgs = new ArrayList<>();
    private Path config;
    private final List<String> sets = new ArrayList<>();

    private CommandLine(List<String> rest) {
        super(rest);
    }

    public static CommandLine of(String[] args) {
        return of(args, 0);
    }

    /** The arguments from index {@code from} on (a command word before it is the caller's). */
    public static CommandLine of(String[] args, int from) {
        List<String> rest = new ArrayList<>();
        CommandLine o = new CommandLine(rest);
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--config") || a.equals("--set")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                o.configArg(a, args[++i]);
            } else if (a.startsWith("--config=") || a.startsWith("--set=")) {
                int eq = a.indexOf('=');
                o.configArg(a.substring(0, eq), a.substring(eq + 1));
            } else {
                rest.add(a); // the command's own options, taken by name (Args)
            }
        }
        return o;
    }

    private void configArg(String name, String value) {
        if (name.equals("--config")) {
            // Absolute, so that a job submitted from here reads the same file.
            value = Path.of(value).toAbsolutePath().toString();
            config = Path.of(value);
        } else {
            sets.add(value);
        }
        jobArgs.add(name);
        jobArgs.add(value);
    }

    /** The configuration: defaults, the {@code --config} file, environment, then {@code --set}. */
    public MnemoConfig config() {
        return config(List.of());
    }

    /**
     * The configuration with a command's own settings (a bench's scratch streams, the demo's clock)
     * applied before the user's {@code --set}, which can still override them.
     */
    public MnemoConfig config(List<String> commandSettings) {
        List<String> all = new ArrayList<>(commandSettings);
        all.addAll(sets);
        return ConfigLoader.load(config, System.getenv(), all);
    }

    /** {@code --config} and {@code --set} as given, for a job started from this command. */
    public List<String> jobArgs() {
        return List.copyOf(jobArgs);
    }

    /** Anything left is an error that names it; the message adds the configuration options to the command's. */
    @Override
    public void done(String known) {
        super.done(known.isEmpty() ? "--config FILE, --set key=value" : known + ", --config FILE, --set key=value");
    }
}
