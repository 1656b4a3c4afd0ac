package io.mnemocore.jobs;

import io.mnemocore.jobs.config.ConfigLoader;
import io.mnemocore.jobs.config.MnemoConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The command line of every {@code ./mnemocore} command in this module: {@code --config FILE} and
 * {@code --set key=value} for the configuration, then the command's own options, each taken by
 * name ({@code --name value} or {@code --name=value}). {@link #done} refuses whatever is left.
 * Errors name the option, so a typo or a missing value never surfaces as an index or number
 * exception without it.
 */
public final class CommandLine {
    private final List<String> rest = new ArrayList<>();
    private final List<String> jobArgs = new ArrayList<>();
    private Path config;
    private final List<String> sets = new ArrayList<>();

    private CommandLine() {}

    public static CommandLine of(String[] args) {
        return of(args, 0);
    }

    /** The arguments from index {@code from} on (a command word before it is the caller's). */
    public static CommandLine of(String[] args, int from) {
        CommandLine o = new CommandLine();
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
                o.rest.add(a);
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

    /** The value of {@code name}, or null when it is absent. */
    public String opt(String name) {
        String v = take(name);
        if (v != null && take(name) != null) {
            throw new IllegalArgumentException(name + " is given more than once");
        }
        return v;
    }

    private String take(String name) {
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.equals(name)) {
                if (i + 1 >= rest.size()) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                String v = rest.remove(i + 1);
                rest.remove(i);
                return v;
            }
            if (a.startsWith(name + "=")) {
                rest.remove(i);
                return a.substring(name.length() + 1);
            }
        }
        return null;
    }

    public String opt(String name, String dflt) {
        String v = opt(name);
        return v != null ? v : dflt;
    }

    /** An integer; underscores may group its digits (100_000). */
    public int intOpt(String name, int dflt) {
        return parsed(name, dflt, v -> Integer.parseInt(v.replace("_", "")), "an integer");
    }

    public long longOpt(String name, long dflt) {
        return parsed(name, dflt, v -> Long.parseLong(v.replace("_", "")), "an integer");
    }

    public double doubleOpt(String name, double dflt) {
        return parsed(name, dflt, Double::parseDouble, "a number");
    }

    private <T> T parsed(String name, T dflt, Function<String, T> parse, String expected) {
        String v = opt(name);
        try {
            return v == null ? dflt : parse.apply(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " expects " + expected + ", got '" + v + "'");
        }
    }

    public Path pathOpt(String name, Path dflt) {
        String v = opt(name);
        return v == null ? dflt : Path.of(v);
    }

    /** Whether the flag was given (every occurrence is taken). */
    public boolean flag(String name) {
        boolean found = false;
        while (rest.remove(name)) {
            found = true;
        }
        return found;
    }

    /**
     * Call after taking every option: anything left is an error that names it.
     *
     * @param known the command's options, for the message (e.g. "--hot N, --qps R")
     */
    public void done(String known) {
        if (rest.isEmpty()) {
            return;
        }
        String first = rest.get(0);
        String what = first.startsWith("-") ? "unknown option '" + first + "'" : "unexpected argument '" + first + "'";
        if (rest.size() > 1) {
            what += " (all left over: " + rest + ")";
        }
        throw new IllegalArgumentException(what + "; known: " + known + (known.isEmpty() ? "" : ", ")
                + "--config FILE, --set key=value");
    }
}
