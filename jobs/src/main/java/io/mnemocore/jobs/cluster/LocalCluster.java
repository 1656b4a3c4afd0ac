package io.mnemocore.jobs.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import io.mnemocore.jobs.EmbeddedRunner;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;

/**
 * A real multi-process Flink 2.3 session cluster on loopback: one JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and one TaskManager ({@code TaskManagerRunner}),
 * each its own JVM, started from the Flink jars in the local Maven repository because no Flink
 * binary distribution can be had here. RocksDB, queryable state, the Prometheus reporter and the
 * web UI are on. Everything lives under one directory: conf/, log/, checkpoints/, savepoints/.
 */
public final class LocalCluster {
    /** Flink's default {@code env.java.opts.all}: the module openings Flink needs on Java 17. */
    public static final List<String> JAVA17_FLAGS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED");

    /** What to start; the defaults are those of {@code ./mnemocore cluster start}. */
    public static final class Options {
        public Path dir = Path.of(".mnemocore", "cluster");
        /** The module {@code cluster/} writes it: the stand-in for a distribution's lib/ folder. */
        public Path classpathFile = Path.of("cluster", "target", "flink-classpath.txt");
        public int restPort = 8081;
        public int rpcPort = 6123;
        public int slots = 2;
        /** One port (or range) per JVM for the Prometheus reporter: "9250-9260" or "p1,p2". */
        public String metricsPorts = "9250-9260";
        public int queryableStateProxyPort = 9069;
        public int queryableStateServerPort = 9067;
        public boolean jsonLogs = true;
        public String logLevel = "INFO";
    }

    private final Path dir;
    private final int restPort;
    private final long jobManagerPid;
    private final long taskManagerPid;

    private LocalCluster(Path dir, int restPort, long jobManagerPid, long taskManagerPid) {
        this.dir = dir;
        this.restPort = restPort;
        this.jobManagerPid = jobManagerPid;
        this.taskManagerPid = taskManagerPid;
    }

    public FlinkRest rest() {
        return new FlinkRest("http://127.0.0.1:" + restPort);
    }

    public Path dir() {
        return dir;
    }

    public Path savepointDir() {
        return dir.resolve("savepoints");
    }

    public int restPort() {
        return restPort;
    }

    public static LocalCluster start(Options o) throws IOException, InterruptedException {
        Path dir = o.dir.toAbsolutePath();
        Optional<LocalCluster> running = attach(dir);
        if (running.isPresent() && running.get().alive()) {
            throw new IllegalStateException("a cluster already runs from " + dir + " (web UI http://127.0.0.1:"
                    + running.get().restPort + "); stop it first");
        }
        if (!Files.exists(o.classpathFile)) {
            throw new IllegalStateException(o.classpathFile + " is missing; build first (./mnemocore build)");
        }
        String classpath = Files.readString(o.classpathFile).trim();
        for (String d : List.of("conf", "log", "checkpoints", "savepoints", "tmp", "web-upload")) {
            Files.createDirectories(dir.resolve(d));
        }
        writeConfig(dir, o);
        writeLogConfig(dir.resolve("conf"), o.jsonLogs, o.logLevel);

        Process jm = launch(dir, classpath, "jobmanager",
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", List.of("-Xmx768m"));
        LocalCluster c = new LocalCluster(dir, o.restPort, jm.pid(), -1);
        c.save();
        try {
            FlinkRest rest = c.rest();
            c.awaitUp(rest, jm, 0, Duration.ofSeconds(90));
            // Heap = framework + task heap, direct = framework + task off-heap + network (see flinkConfig).
            Process tm = launch(dir, classpath, "taskmanager", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                    // Short GC pauses, checkpoint code kept compiled, and (as root) the query path's
                    // thread priority applied, for query serving, as in ./mnemocore's own JVM.
                    tmJvmOptions());
            c = new LocalCluster(dir, o.restPort, jm.pid(), tm.pid());
            c.save();
            c.awaitUp(rest, tm, o.slots, Duration.ofSeconds(90));
            return c;
        } catch (IOException | RuntimeException e) {
            c.stop();
            throw e;
        }
    }

    /** The cluster recorded in {@code dir}, if one was started there (it may have died since). */
    public static Optional<LocalCluster> attach(Path dir) throws IOException {
        Path f = dir.toAbsolutePath().resolve("cluster.properties");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        }
        return Optional.of(new LocalCluster(dir.toAbsolutePath(), Integer.parseInt(p.getProperty("rest.port")),
                Long.parseLong(p.getProperty("jobmanager.pid")), Long.parseLong(p.getProperty("taskmanager.pid"))));
    }

    public boolean alive() {
        return isAlive(jobManagerPid) && isAlive(taskManagerPid);
    }

    /** One line per JVM: pid and whether it runs. */
    public String describe() {
        return "jobmanager  pid " + jobManagerPid + (isAlive(jobManagerPid) ? " running" : " not running") + "\n"
                + "taskmanager pid " + taskManagerPid + (isAlive(taskManagerPid) ? " running" : " not running") + "\n"
                + "web UI / REST http://127.0.0.1:" + restPort + "\nlogs " + dir.resolve("log");
    }

    /** Stops both JVMs (SIGTERM, then SIGKILL after 30 s). Jobs still running are lost: stop them with a savepoint first. */
    public void stop() throws InterruptedException {
        for (long pid : new long[] {taskManagerPid, jobManagerPid}) {
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty()) {
                continue;
            }
            h.get().destroy();
            long deadline = System.currentTimeMillis() + 30_000;
            while (h.get().isAlive() && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            if (h.get().isAlive()) {
                h.get().destroyForcibly();
            }
        }
    }

    private static boolean isAlive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private void save() throws IOException {
        Properties p = new Properties();
        p.setProperty("rest.port", Integer.toString(restPort));
        p.setProperty("jobmanager.pid", Long.toString(jobManagerPid));
        p.setProperty("taskmanager.pid", Long.toString(taskManagerPid));
        try (OutputStream out = Files.newOutputStream(dir.resolve("cluster.properties"))) {
            p.store(out, "local Flink session cluster");
        }
    }

    private void awaitUp(FlinkRest rest, Process p, int slots, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("the Flink process exited with " + p.exitValue() + "; see " + dir.resolve("log"));
            }
            JsonNode o = rest.overviewOrNull();
            if (o != null && o.path("slots-total").asInt() >= slots) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IOException("the Flink cluster did not come up in " + timeout + "; see " + dir.resolve("log"));
    }

    /** The TaskManager's JVM flags. */
    static List<String> tmJvmOptions() {
        List<String> o = new ArrayList<>(List.of("-Xmx1152m", "-Xms1152m", "-XX:MaxDirectMemorySize=256m",
                "-XX:MaxMetaspaceSize=256m", "-XX:MaxGCPauseMillis=10", "-XX:-UseCodeCacheFlushing",
                "-XX:+UseTransparentHugePages"));
        if ("root".equals(System.getProperty("user.name"))) {
            o.add("-XX:ThreadPriorityPolicy=1"); // elsewhere the JVM would only warn that it cannot
            o.add("-XX:CompilerThreadPriority=0"); // the policy would raise the JIT to nice -4, level with the query path
        }
        return o;
    }

    private static Process launch(Path dir, String classpath, String name, String mainClass, List<String> heap)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(heap);
        cmd.addAll(JAVA17_FLAGS);
        cmd.add("-Dlog.file=" + dir.resolve("log").resolve(name + ".log"));
        cmd.add("-Dlog4j.configurationFile=" + dir.resolve("conf").resolve("log4j.properties").toUri());
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        cmd.add("--configDir");
        cmd.add(dir.resolve("conf").toString());
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").resolve(name + ".out").toFile())
                .start();
    }

    /** The settings a distribution's start scripts would otherwise compute, written as conf/config.yaml. */
    static Map<String, String> flinkConfig(Path dir, Options o) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", "localhost");
        c.put("jobmanager.bind-host", "localhost");
        c.put("taskmanager.bind-host", "localhost");
        c.put("taskmanager.host", "localhost");
        c.put("rest.address", "localhost");
        c.put("rest.bind-address", "localhost");
        c.put("rest.port", Integer.toString(o.restPort));
        c.put("jobmanager.rpc.port", Integer.toString(o.rpcPort));
        c.put("jobmanager.memory.process.size", "1g");
        c.put("taskmanager.numberOfTaskSlots", Integer.toString(o.slots));
        c.put("parallelism.default", "1");
        // TaskManagerRunner needs every memory component and the cores explicitly (the scripts compute them).
        c.put("taskmanager.cpu.cores", Integer.toString(o.slots));
        c.put("taskmanager.memory.framework.heap.size", "128m");
        c.put("taskmanager.memory.task.heap.size", "1024m");
        c.put("taskmanager.memory.managed.size", "512m");
        c.put("taskmanager.memory.framework.off-heap.size", "128m");
        c.put("taskmanager.memory.task.off-heap.size", "0m");
        c.put("taskmanager.memory.network.min", "128m");
        c.put("taskmanager.memory.network.max", "128m");
        c.put("taskmanager.memory.jvm-metaspace.size", "256m");
        c.put("taskmanager.memory.jvm-overhead.min", "192m");
        c.put("taskmanager.memory.jvm-overhead.max", "192m");
        c.putAll(EmbeddedRunner.stateSettings(dir));
        c.put("restart-strategy.type", "fixed-delay");
        c.put("restart-strategy.fixed-delay.attempts", "1000");
        c.put("restart-strategy.fixed-delay.delay", "2 s");
        c.putAll(EmbeddedRunner.serviceSettings(o.metricsPorts, Integer.toString(o.queryableStateProxyPort),
                Integer.toString(o.queryableStateServerPort)));
        c.put("io.tmp.dirs", dir.resolve("tmp").toString());
        c.put("web.upload.dir", dir.resolve("web-upload").toString());
        return c;
    }

    private static void writeConfig(Path dir, Options o) throws IOException {
        StringBuilder y = new StringBuilder("# Written by ./mnemocore cluster start; rewritten at every start.\n");
        flinkConfig(dir, o).forEach((k, v) -> y.append(k).append(": \"").append(v.replace("\"", "\\\"")).append("\"\n"));
        Files.writeString(dir.resolve("conf").resolve("config.yaml"), y.toString());
    }

    /** Log4j config for both JVMs: one JSON object per line (ECS fields) or the classic pattern. */
    static void writeLogConfig(Path conf, boolean json, String level) throws IOException {
        String layout = json
                ? "appender.file.layout.type = JsonTemplateLayout\nappender.file.layout.eventTemplateUri = classpath:EcsLayout.json\n"
                : "appender.file.layout.type = PatternLayout\nappender.file.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n\n";
        Files.writeString(conf.resolve("log4j.properties"), "# Written by ./mnemocore cluster start from haim.observability.*\n"
                + "monitorInterval = 0\nrootLogger.level = " + level + "\nrootLogger.appenderRef.file.ref = file\n"
                + "appender.file.type = File\nappender.file.name = file\nappender.file.fileName = ${sys:log.file}\n"
                + "appender.file.append = true\n" + layout
                + "logger.netty.name = org.apache.flink.shaded.netty4.io.netty\nlogger.netty.level = WARN\n");
    }
}
