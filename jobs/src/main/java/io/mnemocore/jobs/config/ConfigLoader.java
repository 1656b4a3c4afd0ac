package io.mnemocore.jobs.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Loads the configuration in layers: packaged defaults ({@code conf/mnemocore.yaml}), then a
 * user file, then {@code HAIM_*} environment variables, then {@code --set key=value}. Every layer
 * is validated as it is applied, so an error names the key and the layer that set it.
 */
public final class ConfigLoader {
    public static final String DEFAULTS_RESOURCE = "/io/mnemocore/jobs/mnemocore.yaml";

    private ConfigLoader() {}

    public static MnemoConfig defaults() {
        return load(null, Map.of(), List.of());
    }

    public static MnemoConfig load(Path file, Map<String, String> env, List<String> sets) {
        LinkedHashMap<String, Object> values = new LinkedHashMap<>();
        LinkedHashMap<String, String> sources = new LinkedHashMap<>();
        apply(flattenYaml(defaultsText(), "defaults"), "defaults", values, sources);
        for (ConfigSchema.Key k : ConfigSchema.keys()) {
            if (!values.containsKey(k.name)) {
                throw new ConfigException("packaged defaults lack key '" + k.name + "'");
            }
        }
        if (file != null) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
            }
            apply(flattenYaml(text, file.toString()), file.toString(), values, sources);
        }
        Map<String, Object> fromEnv = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            if (!e.getKey().startsWith("HAIM_")) {
                continue;
            }
            String key = keyForEnv(e.getKey());
            if (key == null) {
                String guess = ConfigSchema.closest(("haim." + e.getKey().substring(5)).toLowerCase(java.util.Locale.ROOT).replace('_', '.'));
                throw new ConfigException("unknown config variable " + e.getKey()
                        + (guess != null ? " (did you mean " + ConfigSchema.envName(guess) + "?)" : ""));
            }
            fromEnv.put(key, e.getValue());
            sources.put(key, "env " + e.getKey());
        }
        apply(fromEnv, null, values, sources);
        Map<String, Object> fromSet = new LinkedHashMap<>();
        for (String s : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects key=value, got '" + s + "'");
            }
            String key = s.substring(0, eq).trim();
            if (!key.startsWith("haim.")) {
                key = "haim." + key;
            }
            fromSet.put(key, s.substring(eq + 1));
            sources.put(key, "--set");
        }
        apply(fromSet, "--set", values, sources);
        crossChecks(values, sources);
        return new MnemoConfig(values, sources);
    }

    private static String keyForEnv(String var) {
        for (ConfigSchema.Key k : ConfigSchema.keys()) {
            if (ConfigSchema.envName(k.name).equals(var)) {
                return k.name;
            }
        }
        return null;
    }

    public static String defaultsText() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) {
                throw new ConfigException("packaged defaults " + DEFAULTS_RESOURCE + " are missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read packaged defaults: " + e.getMessage());
        }
    }

    /** Nested YAML maps → dotted keys. */
    static Map<String, Object> flattenYaml(String text, String origin) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (RuntimeException e) {
            throw new ConfigException(origin + " is not valid YAML: " + e.getMessage());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (root == null) {
            return out;
        }
        if (!(root instanceof Map)) {
            throw new ConfigException(origin + " must be a YAML map with a top-level 'haim:' key");
        }
        flatten("", (Map<?, ?>) root, out, origin);
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> m, Map<String, Object> out, String origin) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = prefix + e.getKey();
            if (e.getValue() instanceof Map) {
                flatten(key + ".", (Map<?, ?>) e.getValue(), out, origin);
            } else if (e.getValue() instanceof List) {
                throw new ConfigException(key + ": lists are not supported here (" + origin + ")");
            } else {
                out.put(key, e.getValue());
            }
        }
    }

    private static void apply(Map<String, Object> layer, String origin, Map<String, Object> values, Map<String, String> sources) {
        for (Map.Entry<String, Object> e : layer.entrySet()) {
            String name = e.getKey();
            String from = origin != null ? origin : sources.get(name);
            ConfigSchema.Key key = ConfigSchema.key(name);
            if (key == null) {
                String guess = ConfigSchema.closest(name);
                throw new ConfigException("unknown config key '" + name + "' (" + from + ")"
                        + (guess != null ? "; did you mean '" + guess + "'?" : ""));
            }
            if (e.getValue() == null) {
                throw new ConfigException(name + ": has no value (" + from + ")");
            }
            Object v = coerce(key, e.getValue(), from);
            String err = key.check(v);
            if (err != null) {
                throw new ConfigException(name + ": " + err + " (" + from + ")");
            }
            values.put(name, v);
            if (origin != null) {
                sources.put(name, origin);
            }
        }
    }

    private static Object coerce(ConfigSchema.Key key, Object raw, String from) {
        String bad = key.name + ": expected " + key.type.name().toLowerCase() + ", got '" + raw + "' (" + from + ")";
        try {
            switch (key.type) {
                case INT:
                    if (raw instanceof Integer) return raw;
                    if (raw instanceof String) return Integer.parseInt(((String) raw).trim().replace("_", ""));
                    if (raw instanceof Long) return Math.toIntExact((Long) raw);
                    throw new ConfigException(bad);
                case LONG:
                    if (raw instanceof Integer || raw instanceof Long) return ((Number) raw).longValue();
                    if (raw instanceof java.math.BigInteger) return ((java.math.BigInteger) raw).longValueExact();
                    if (raw instanceof String) return Long.parseLong(((String) raw).trim().replace("_", ""));
                    throw new ConfigException(bad);
                case DOUBLE:
                    if (raw instanceof Number && !(raw instanceof java.math.BigInteger)) return ((Number) raw).doubleValue();
                    if (raw instanceof String) {
                        double d = Double.parseDouble(((String) raw).trim());
                        if (!Double.isFinite(d)) throw new ConfigException(bad);
                        return d;
                    }
                    throw new ConfigException(bad);
                case BOOL:
                    if (raw instanceof Boolean) return raw;
                    if (raw instanceof String) {
                        String s = ((String) raw).trim().toLowerCase(java.util.Locale.ROOT);
                        if (s.equals("true")) return true;
                        if (s.equals("false")) return false;
                    }
                    throw new ConfigException(bad);
                default:
                    if (raw instanceof Map || raw instanceof List) throw new ConfigException(bad);
                    return raw.toString();
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ConfigException(bad);
        }
    }

    private static void crossChecks(Map<String, Object> v, Map<String, String> sources) {
        double hot = ((Number) v.get("haim.tiers.hot.ltp_threshold_min")).doubleValue();
        double warm = ((Number) v.get("haim.tiers.warm.ltp_threshold_min")).doubleValue();
        if (warm >= hot) {
            throw new ConfigException("haim.tiers.warm.ltp_threshold_min (" + warm + ", "
                    + sources.get("haim.tiers.warm.ltp_threshold_min") + ") must be below haim.tiers.hot.ltp_threshold_min ("
                    + hot + ", " + sources.get("haim.tiers.hot.ltp_threshold_min") + ")");
        }
        double hotMin = hot, hyst = ((Number) v.get("haim.ltp.hysteresis")).doubleValue();
        if (hotMin + hyst > 1.0) {
            throw new ConfigException("haim.ltp.hysteresis (" + hyst + ") plus haim.tiers.hot.ltp_threshold_min ("
                    + hotMin + ") exceeds 1: a WARM memory could never be promoted");
        }
        double halfLifeDays = ((Number) v.get("haim.ltp.half_life_hours")).doubleValue() / 24.0;
        if (((Number) v.get("haim.ltp.max_half_life_days")).doubleValue() < halfLifeDays) {
            throw new ConfigException("haim.ltp.max_half_life_days must be at least haim.ltp.half_life_hours / 24");
        }
        int dim = (Integer) v.get("haim.dimensionality");
        int sketch = (Integer) v.get("haim.search.sketch_bits");
        if (sketch % 64 != 0) {
            throw new ConfigException("haim.search.sketch_bits (" + sketch + ", " + sources.get("haim.search.sketch_bits")
                    + ") must be a multiple of 64");
        }
        // Unrelated HDVs lie at D/2 ± sqrt(D)/2; a cut within 6 sigma of that would call chance confident.
        int conf = (Integer) v.get("haim.search.confidence_threshold_bits");
        double chance = dim / 2.0 - 3.0 * Math.sqrt(dim);
        if (conf > chance) {
            throw new ConfigException("haim.search.confidence_threshold_bits (" + conf + ", "
                    + sources.get("haim.search.confidence_threshold_bits") + ") must stay below " + (int) chance
                    + " at D=" + dim + ": unrelated HDVs are " + dim / 2 + " ± " + (int) Math.sqrt(dim) / 2 + " bits apart");
        }
        if (conf > 0 && "encoder".equals(v.get("haim.search.confidence_calibration"))) {
            throw new ConfigException("haim.search.confidence_threshold_bits (" + conf + ", " + sources.get("haim.search.confidence_threshold_bits")
                    + ") and haim.search.confidence_calibration=encoder (" + sources.get("haim.search.confidence_calibration")
                    + ") both set the threshold: leave the bits at 0 to calibrate, or use calibration blueprint");
        }
        streamChecks(v, sources);
        int maxEvent = (Integer) v.get("haim.codec.max_event_bytes");
        if (maxEvent < dim + 512) {
            throw new ConfigException("haim.codec.max_event_bytes (" + maxEvent + ") must leave room for an unpacked HDV of "
                    + "haim.dimensionality=" + dim + " bytes plus 512 bytes of fields");
        }
    }

    /**
     * Each stream of the job has one use: a query stream equal to the bus would split the bus's
     * entries between two sources of one consumer group, a DLQ equal to the bus would feed its
     * rejects back in, and a job stream named like the default reply stream would take replies.
     * With tenant streams, the job also reads every {@code <bus>:<tenant>} and
     * {@code <query stream>:<tenant>}, so no other stream of the job may be named like one.
     */
    private static void streamChecks(Map<String, Object> v, Map<String, String> sources) {
        List<String> keys = MnemoConfig.STREAM_KEYS;
        java.util.function.Function<String, String> shown = k -> k + " (" + v.get(k) + ", " + sources.get(k) + ")";
        boolean tenants = (Boolean) v.get("haim.redis.tenant_streams");
        for (int i = 0; i < keys.size(); i++) {
            String a = (String) v.get(keys.get(i));
            if (a.equals(io.mnemocore.operators.codec.EventCodec.DEFAULT_REPLY_STREAM)) {
                throw new ConfigException(shown.apply(keys.get(i)) + " must differ from " + a
                        + ", where queries without a reply_to get their replies");
            }
            for (int j = 0; j < keys.size(); j++) {
                String b = (String) v.get(keys.get(j));
                if (j > i && a.equals(b)) {
                    throw new ConfigException(shown.apply(keys.get(j)) + " must differ from " + shown.apply(keys.get(i))
                            + ": each of the job's streams has one use");
                }
                if (tenants && j != i && MnemoConfig.TENANT_STREAM_KEYS.contains(keys.get(j)) && a.startsWith(b + ":")) {
                    throw new ConfigException(shown.apply(keys.get(i)) + " is named like a tenant stream of " + keys.get(j) + " ("
                            + b + ":<tenant>), which haim.redis.tenant_streams makes the job read: choose a name outside " + b + ":*");
                }
            }
        }
    }

    /** Key → one-line comment, read from the YAML text (our file's `key: value  # comment` lines). */
    public static Map<String, String> comments(String yamlText) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> stack = new ArrayList<>();
        for (String line : yamlText.split("\n")) {
            String stripped = line.strip();
            if (stripped.isEmpty() || stripped.startsWith("#")) {
                continue;
            }
            int indent = (line.length() - line.stripLeading().length()) / 2;
            int colon = stripped.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = stripped.substring(0, colon);
            while (stack.size() > indent) {
                stack.remove(stack.size() - 1);
            }
            String rest = stripped.substring(colon + 1).strip();
            if (rest.isEmpty()) {
                stack.add(name);
                continue;
            }
            int hash = rest.indexOf("  #");
            String key = String.join(".", stack) + "." + name;
            out.put(key, hash >= 0 ? rest.substring(hash + 3).strip() : "");
        }
        return out;
    }
}
