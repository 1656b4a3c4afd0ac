package io.mnemocore.hdv.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The options of a command, each taken by name ({@code --name value} or {@code --name=value});
 * {@link #done} refuses whatever is left. Errors name the option, so a typo or a missing value
 * never surfaces as an index or number exception without it. The job commands' parser
 * ({@code io.mnemocore.jobs.CommandLine}) adds the configuration options on top; this one is
 * here so that the bench commands of the GPU bundle, which has no job module, share it.
 */
public class Args {
    private final List<String> rest;

    protected Args(List<String> rest) {
        this.rest = rest;
    }

    public static Args of(String[] argv) {
        return new Args(new ArrayList<>(Arrays.asList(argv)));
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
        throw new IllegalArgumentException(what + (known.isEmpty() ? "" : "; known: " + known));
    }
}
