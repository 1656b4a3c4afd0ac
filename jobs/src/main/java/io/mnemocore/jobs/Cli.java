package io.mnemocore.jobs;

import io.mnemocore.hdv.bench.EncodeBench;
import io.mnemocore.hdv.bench.HammingBench;
import io.mnemocore.jobs.cluster.ClusterCommands;
import io.mnemocore.jobs.config.ConfigException;
import io.mnemocore.jobs.config.ConfigLoader;
import io.mnemocore.jobs.config.ConfigSchema;
import io.mnemocore.jobs.config.MnemoConfig;
import java.util.Arrays;
import java.util.Map;

/** Entry point of the {@code ./mnemocore} launcher's Java subcommands. */
public final class Cli {
    private Cli() {}

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) {
            usage();
            System.exit(2);
        }
        String cmd = argv[0];
        String[] rest = Arrays.copyOfRange(argv, 1, argv.length);
        try {
            switch (cmd) {
                case "bench":
                    bench(rest);
                    break;
                case "config":
                    config(rest);
                    break;
                case "calibrate":
                    Calibrate.main(rest);
                    break;
                case "demo":
                    Demo.main(rest, true);
                    break;
                case "run":
                    Demo.main(rest, false);
                    break;
                case "store":
                case "query":
                case "predict":
                case "inspect":
                case "forget":
                    ClientCommands.run(cmd, rest);
                    break;
                case "rehydrate":
                    Rehydrate.main(rest);
                    break;
                case "cluster":
                    ClusterCommands.cluster(rest);
                    break;
                case "submit":
                    ClusterCommands.submit(rest);
                    break;
                case "stop":
                    ClusterCommands.stop(rest);
                    break;
                default:
                    System.err.println("unknown command '" + cmd + "'");
                    usage();
                    System.exit(2);
            }
        } catch (ConfigException | IllegalArgumentException | IllegalStateException | UnsupportedOperationException
                | java.io.IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        } catch (java.util.concurrent.TimeoutException e) {
            // A query nobody answered (no job running, or none reading that query stream).
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        } catch (redis.clients.jedis.exceptions.JedisConnectionException e) {
            System.err.println("error: Redis cannot be reached (" + e.getMessage() + ")");
            System.exit(1);
        }
    }

    private static void usage() {
        System.err.println("usage: mnemocore demo|run [--seconds N] [--fresh] | bench hamming|encode|ingest|state|query|search|tiers|inference [options]"
                + " | config [--config FILE] [--set key=value]... [--markdown]"
                + " | calibrate [--pairs FILE] [--json] [--config FILE] [--set key=value]..."
                + " | store|query|predict|inspect|forget [--tenant T] [--id ID] [--text T|--hdv-file F] [--json]"
                + " | rehydrate [--tenant T] [--from DATE] [--to DATE] [--work-dir DIR] [--dry-run]"
                + " | cluster start|stop|status | submit [--savepoint PATH|last] [--parallelism P] | stop [--savepoint]");
    }

    private static void bench(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("bench needs a target: hamming, encode, ingest, state, query, search, tiers or inference");
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "hamming":
                HammingBench.main(rest);
                break;
            case "encode":
                EncodeBench.main(rest);
                break;
            case "ingest":
                IngestBench.main(rest);
                break;
            case "state":
                StateBench.main(rest);
                break;
            case "query":
                QueryBench.main(rest);
                break;
            case "search":
                io.mnemocore.operators.query.SearchBench.main(rest);
                break;
            case "tiers":
                TierBench.main(rest);
                break;
            case "inference":
                InferenceBench.main(rest);
                break;
            default:
                throw new IllegalArgumentException("unknown benchmark '" + args[0] + "'; known: hamming, encode, ingest, state, query, search, tiers, inference");
        }
    }

    private static void config(String[] args) {
        CommandLine o = CommandLine.of(args);
        boolean markdown = o.flag("--markdown");
        o.done("--markdown");
        MnemoConfig c = o.config();
        if (markdown) {
            Map<String, String> comments = ConfigLoader.comments(ConfigLoader.defaultsText());
            System.out.println("| key | default | env | meaning |");
            System.out.println("|---|---|---|---|");
            for (ConfigSchema.Key k : ConfigSchema.keys()) {
                System.out.println("| `" + k.name + "` | `" + c.asMap().get(k.name) + "` | `" + ConfigSchema.envName(k.name)
                        + "` | " + comments.get(k.name) + " |");
            }
            return;
        }
        for (Map.Entry<String, Object> e : c.asMap().entrySet()) {
            System.out.printf("%-48s = %-28s (%s)%n", e.getKey(), e.getValue(), c.source(e.getKey()));
        }
        System.out.println("config OK");
    }
}
