package io.mnemocore.hdv.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Minimal {@code --name value} parser for the bench commands; unknown flags are errors. */
public final class Args {
    private final Map<String, String> values = new HashMap<>();

    public Args(String[] argv, Set<String> known, Set<String> booleanFlags) {
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!known.contains(name) && !booleanFlags.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name + "; known: " + known + " " + booleanFlags);
            }
            if (values.containsKey(name)) {
                throw new IllegalArgumentException("option --" + name + " is given more than once");
            }
            if (booleanFlags.contains(name)) {
                values.put(name, value == null ? "true" : value);
            } else {
                if (value == null) {
                    if (i + 1 >= argv.length) {
                        throw new IllegalArgumentException("option --" + name + " needs a value");
                    }
                    value = argv[++i];
                }
                values.put(name, value);
            }
        }
    }

    public String str(String name, String def) {
        return values.getOrDefault(name, def);
    }

    public int integer(String name, int def) {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
        try {
            return Integer.parseInt(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    public double real(String name, double def) {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(values.getOrDefault(name, "false"));
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }
}
