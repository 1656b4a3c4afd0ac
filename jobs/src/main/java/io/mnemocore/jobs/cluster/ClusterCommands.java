package io.mnemocore.jobs.cluster;

import io.mnemocore.jobs.CommandLine;
import io.mnemocore.jobs.MnemoCoreJob;
import io.mnemocore.jobs.config.MnemoConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code ./mnemocore cluster start|stop|status}, {@code submit} and {@code stop}. */
public final class ClusterCommands {
    static final Path DIR = Path.of(".mnemocore", "cluster");

    private ClusterCommands() {}

    public static void cluster(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("cluster needs start, stop or status");
        }
        CommandLine p = CommandLine.of(args, 1);
        switch (args[0]) {
            case "start": {
                MnemoConfig c = p.config();
                LocalCluster.Options o = new LocalCluster.Options();
                o.restPort = p.intOpt("--rest-port", 8081);
                o.rpcPort = p.intOpt("--rpc-port", 6123);
                o.slots = p.intOpt("--slots", 2);
                int metrics = c.getInt("haim.observability.metrics_port");
                o.metricsPorts = metrics + "-" + (metrics + 10);
                o.jsonLogs = c.getBool("haim.observability.structured_logging");
                o.logLevel = c.getString("haim.observability.log_level");
                p.done("--rest-port P, --rpc-port P, --slots N");
                LocalCluster lc = LocalCluster.start(o);
                System.out.println("Flink session cluster up: " + o.slots + " slots, web UI http://127.0.0.1:" + o.restPort
                        + ", Prometheus on ports " + o.metricsPorts + ", logs in " + lc.dir().resolve("log"));
                break;
            }
            case "stop": {
                p.done("");
                Optional<LocalCluster> lc = LocalCluster.attach(DIR);
                if (lc.isEmpty()) {
                    System.out.println("no cluster was started from " + DIR);
                    return;
                }
                lc.get().stop();
                System.out.println("cluster stopped");
                break;
            }
            case "status": {
                p.done("");
                Optional<LocalCluster> lc = LocalCluster.attach(DIR);
                if (lc.isEmpty()) {
                    System.out.println("no cluster was started from " + DIR);
                    System.exit(3);
                }
                System.out.println(lc.get().describe());
                if (lc.get().alive()) {
                    for (String[] j : lc.get().rest().jobs()) {
                        System.out.println("job " + j[0] + " " + j[1] + " " + j[2]);
                    }
                } else {
                    System.exit(3);
                }
                break;
            }
            default:
                throw new IllegalArgumentException("unknown cluster command '" + args[0] + "'; known: start, stop, status");
        }
    }

    /** Uploads the job jar to the local cluster (or --rest URL) and runs it, optionally from a savepoint. */
    public static void submit(String[] args) throws Exception {
        CommandLine p = CommandLine.of(args, 0);
        String savepoint = p.opt("--savepoint");
        int parallelism = p.intOpt("--parallelism", 0);
        String jarOpt = p.opt("--jar");
        Path jar = jarOpt != null ? Path.of(jarOpt) : jobJar(Path.of("jobs", "target"));
        FlinkRest rest = rest(p.opt("--rest"));
        p.config(); // fail here, naming the key, rather than inside the cluster
        p.done("--savepoint PATH|last, --parallelism P, --jar FILE, --rest URL");
        if ("last".equals(savepoint)) {
            savepoint = Files.readString(DIR.resolve("last-savepoint")).trim();
        }
        // Relative tier paths resolve beside the local cluster's checkpoints, not in the JobManager's working directory.
        List<String> jobArgs = new ArrayList<>(List.of("--data-dir", DIR.toAbsolutePath().normalize().toString()));
        jobArgs.addAll(p.jobArgs());
        String jarId = rest.uploadJar(jar);
        String job = rest.runJar(jarId, MnemoCoreJob.class.getName(), jobArgs, parallelism, savepoint);
        Files.createDirectories(DIR);
        Files.writeString(DIR.resolve("job-id"), job + "\n");
        rest.awaitRunning(job, Duration.ofMinutes(3));
        System.out.println("job " + job + " running" + (savepoint != null ? " (restored from " + savepoint + ")" : "")
                + "; stop it with ./mnemocore stop --savepoint");
    }

    /** Stops the submitted job: with --savepoint, writes one and prints its path; otherwise cancels. */
    public static void stop(String[] args) throws Exception {
        CommandLine p = CommandLine.of(args, 0);
        boolean savepoint = p.flag("--savepoint");
        String job = p.opt("--job");
        String dir = p.opt("--dir");
        FlinkRest rest = rest(p.opt("--rest"));
        p.done("--savepoint, --job ID, --dir DIR, --rest URL");
        if (job == null) {
            job = Files.readString(DIR.resolve("job-id")).trim();
        }
        if (!savepoint) {
            rest.cancel(job);
            System.out.println("job " + job + " cancelled (no savepoint)");
            return;
        }
        String target = dir != null ? Path.of(dir).toAbsolutePath().toUri().toString()
                : DIR.resolve("savepoints").toAbsolutePath().toUri().toString();
        String path = rest.stopWithSavepoint(job, target, Duration.ofMinutes(5));
        Files.writeString(DIR.resolve("last-savepoint"), path + "\n");
        System.out.println(path);
    }

    private static FlinkRest rest(String url) throws IOException {
        if (url != null) {
            return new FlinkRest(url);
        }
        Optional<LocalCluster> lc = LocalCluster.attach(DIR);
        if (lc.isEmpty() || !lc.get().alive()) {
            throw new IllegalArgumentException("no local cluster runs (./mnemocore cluster start), and no --rest URL was given");
        }
        return lc.get().rest();
    }

    /** The shaded job jar the build leaves in {@code target}. */
    public static Path jobJar(Path target) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target, "mnemocore-jobs-*-job.jar")) {
            for (Path p : s) {
                return p;
            }
        }
        throw new IllegalStateException("no job jar in " + target + "; build first (./mnemocore build)");
    }
}
