package io.mnemocore.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs the job in an embedded MiniCluster, the way {@code ./mnemocore demo} and {@code run} do:
 * RocksDB state, exactly-once checkpoints, the Prometheus reporter, and resume from the last
 * savepoint taken by a previous stop. Everything lives under one work directory.
 */
public final class EmbeddedRunner implements AutoCloseable {
    private final Path work;
    private final JobClient client;
    private final String restoredFrom;
    private final int qsProxyPort;

    private EmbeddedRunner(Path work, JobClient client, String restoredFrom, int qsProxyPort) {
        this.work = work;
        this.client = client;
        this.restoredFrom = restoredFrom;
        this.qsProxyPort = qsProxyPort;
    }

    /** Flink's default queryable-state proxy port; an embedded run takes the first free one up to +10. */
    public static final int QS_PROXY_PORT = 9069;
    /** Where a start records the proxy port it took, beside {@code job-id}, for {@code ./mnemocore inspect}. */
    static final String QS_PORT_FILE = "qs-port";

    public static Path lastSavepointFile(Path work) {
        return work.resolve("last-savepoint");
    }

    public static Configuration flinkConfig(JobSettings s, Path work, String savepoint, int parallelism) {
        Configuration c = new Configuration();
        stateSettings(work).forEach(c::setString);
        c.setString("taskmanager.memory.managed.size", "1g");
        c.setString("io.tmp.dirs", work.resolve("tmp").toString());
        c.setString("taskmanager.numberOfTaskSlots", Integer.toString(parallelism));
        c.setString("parallelism.default", Integer.toString(parallelism));
        int port = s.config.getInt("haim.observability.metrics_port");
        // One proxy port, chosen here: given a range, Flink's queryable-state servers try its ports
        // in hash-set order (9072 came before 9069), so a client could not know which one to ask.
        serviceSettings(port + "-" + (port + 10), Integer.toString(firstFreePort(QS_PROXY_PORT, 10)), "9080-9089").forEach(c::setString);
        if (savepoint != null) {
            c.setString("execution.state-recovery.path", savepoint);
        }
        s.s3Options().forEach(c::setString); // s3a:// archives (haim.tiers.cold.s3_*)
        // Any Flink option can be given as -Dflink.<key>=<value> (MNEMOCORE_JAVA_OPTS).
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith("flink.")) {
                c.setString(k.substring("flink.".length()), System.getProperty(k));
            }
        }
        return c;
    }

    /** The first of {@code first} .. {@code first + more} that can be bound now. */
    static int firstFreePort(int first, int more) {
        for (int p = first; p <= first + more; p++) {
            try (java.net.ServerSocket probe = new java.net.ServerSocket(p)) {
                return p;
            } catch (java.io.IOException taken) {
                // try the next
            }
        }
        throw new IllegalStateException("no free queryable-state proxy port in " + first + "-" + (first + more));
    }

    /** The queryable-state proxy port of {@code conf} (one port, as {@link #flinkConfig} sets it). */
    static int qsProxyPort(Configuration conf) {
        return Integer.parseInt(conf.getString("queryable-state.proxy.ports", Integer.toString(QS_PROXY_PORT)).trim());
    }

    /** State backend and checkpoint settings of every way this project runs Flink (embedded, local cluster). */
    public static java.util.Map<String, String> stateSettings(Path dir) {
        java.util.Map<String, String> c = new java.util.LinkedHashMap<>();
        c.put("state.backend.type", "rocksdb");
        // New memories are RocksDB misses; bloom filters keep a miss from touching every SST file
        // (measured: 4x ingest throughput).
        c.put("state.backend.rocksdb.use-bloom-filter", "true");
        // Random 16,384-bit vectors do not compress; compressing them only costs CPU.
        c.put("state.backend.rocksdb.compression.per.level", "NO_COMPRESSION");
        // Upload only new SST files per checkpoint: a full copy of every HOT vector each interval
        // stalled queries for seconds (bench query at 100,000 HOT).
        c.put("execution.checkpointing.incremental", "true");
        c.put("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        c.put("execution.checkpointing.savepoint-dir", dir.resolve("savepoints").toUri().toString());
        c.put("execution.checkpointing.num-retained", "2");
        return c;
    }

    /** Prometheus reporter and queryable state (memory state, recent replies), on the given ports or ranges. */
    public static java.util.Map<String, String> serviceSettings(String metricsPorts, String qsProxyPorts, String qsServerPorts) {
        java.util.Map<String, String> c = new java.util.LinkedHashMap<>();
        c.put("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        c.put("metrics.reporter.prom.port", metricsPorts);
        c.put("queryable-state.enable", "true");
        c.put("queryable-state.proxy.ports", qsProxyPorts);
        c.put("queryable-state.server.ports", qsServerPorts);
        return c;
    }

    /**
     * Cancels a bench's job and waits until it is gone, so that the streams the bench deletes
     * afterwards are no longer being read (the readers logged "no such key" for each one).
     */
    static void cancelAndWait(JobClient job) {
        try {
            job.cancel().get(60, TimeUnit.SECONDS);
            // The cancel is acknowledged before the tasks stop.
            long deadline = System.currentTimeMillis() + 60_000;
            while (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
        } catch (Exception ignored) {
            // already gone
        }
    }

    /** The whole job, with Redis sources and production sinks, on a local MiniCluster of {@code conf}. */
    public static JobClient submit(JobSettings s, Configuration conf, int parallelism, String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        MnemoCoreJob.configure(env, s);
        env.setParallelism(parallelism);
        MnemoCoreJob.defineWorkflow(env, s, MnemoCoreJob.redisSources(s), MnemoCoreJob.productionSinks(s));
        return env.executeAsync(name);
    }

    /** Starts the job; with {@code resume}, from the savepoint recorded by the last stop, if any. */
    public static EmbeddedRunner start(JobSettings s, Path work, boolean resume, int parallelism) throws Exception {
        Files.createDirectories(work.resolve("tmp"));
        String savepoint = null;
        Path last = lastSavepointFile(work);
        if (resume && Files.exists(last)) {
            savepoint = Files.readString(last).trim();
        }
        Configuration conf = flinkConfig(s, work, savepoint, parallelism);
        org.apache.flink.core.fs.FileSystem.initialize(conf, null); // this process reads archives too (rehydration)
        JobClient client = submit(s, conf, parallelism, "mnemocore");
        // Where ./mnemocore inspect finds the job and its queryable state.
        Files.writeString(work.resolve("job-id"), client.getJobID() + "\n");
        Files.writeString(work.resolve(QS_PORT_FILE), qsProxyPort(conf) + "\n");
        return new EmbeddedRunner(work, client, savepoint, qsProxyPort(conf));
    }

    /** The port of this run's queryable-state proxy. */
    public int qsProxyPort() {
        return qsProxyPort;
    }

    public JobClient client() {
        return client;
    }

    /** The savepoint this run was restored from, or null for a fresh start. */
    public String restoredFrom() {
        return restoredFrom;
    }

    /** Stops the job with a savepoint and records it, so the next start resumes from it. */
    public String stopWithSavepoint() throws Exception {
        String path = client.stopWithSavepoint(false, work.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
        Files.writeString(lastSavepointFile(work), path + "\n");
        return path;
    }

    @Override
    public void close() throws Exception {
        try {
            client.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // already finished or stopped
        }
    }
}
