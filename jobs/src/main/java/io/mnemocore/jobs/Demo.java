package io.mnemocore.jobs;

import io.mnemocore.client.MnemoClient;
import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import io.mnemocore.operators.query.Hit;
import io.mnemocore.operators.query.QueryReply;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code ./mnemocore demo} and {@code ./mnemocore run}: the job in an embedded MiniCluster
 * against the configured Redis, with a live status line. The demo also plays a sample workload
 * (texts shipped in the jar) on a fast clock, so a memory's whole life shows within about a
 * minute. Ctrl-C (or {@code --seconds}) stops with a savepoint; the next start resumes from it.
 */
public final class Demo {
    /** Defaults the demo applies before the user's own --set: a day of LTP time every 1.5 seconds. */
    static final List<String> DEMO_SETTINGS = List.of(
            // The demo's own streams: a fresh demo may delete them without touching real ones.
            "haim.redis.stream_key=haim:demo:subconscious",
            "haim.redis.transitions_stream=haim:demo:transitions",
            "haim.redis.dlq_stream=haim:demo:dlq",
            "haim.redis.query_stream=haim:demo:queries",
            "haim.ltp.time_scale=57600",
            "haim.ltp.half_life_hours=240",
            "haim.tiers.hot.max_memories=40",
            "haim.job.checkpoint_interval_ms=2000");
    static final String TENANT = "demo";
    static final String[] CONTEXTS = {"home", "work", "travel", "health"};

    private Demo() {}

    public static void main(String[] args, boolean withWorkload) throws Exception {
        CommandLine o = CommandLine.of(args);
        long seconds = o.longOpt("--seconds", withWorkload ? 90 : 0);
        boolean fresh = o.flag("--fresh");
        Path work = o.pathOpt("--work-dir", Path.of(".mnemocore"));
        o.done("--seconds N (0 = until Ctrl-C), --fresh, --work-dir DIR");
        MnemoConfig config = o.config(withWorkload ? DEMO_SETTINGS : List.of());
        work = work.resolve(withWorkload ? "demo" : "run");
        JobSettings s = new JobSettings(config, work);
        java.nio.file.Files.createDirectories(work);
        Logging.configure(config, work.resolve("mnemocore.log"));
        int parallelism = config.getInt("haim.job.parallelism") > 0 ? config.getInt("haim.job.parallelism") : 2;

        try (JedisPooled redis = s.redis.createClient()) {
            try {
                redis.ping();
            } catch (RuntimeException e) {
                throw new IllegalStateException("Redis is not reachable at " + s.redis + " (haim.redis.url): " + e.getMessage());
            }
            if (fresh) {
                java.nio.file.Files.deleteIfExists(EmbeddedRunner.lastSavepointFile(work));
            }
            if (withWorkload && !java.nio.file.Files.exists(EmbeddedRunner.lastSavepointFile(work))) {
                // A demo without a savepoint starts over: its streams would describe a state it no longer has.
                redis.del(s.streamKey(), config.getString("haim.redis.transitions_stream"),
                        config.getString("haim.redis.dlq_stream"), config.getString("haim.redis.query_stream"));
                // ... and so would its WARM store and archive, when they are the demo's own.
                for (String key : new String[] {"haim.tiers.warm.path", "haim.tiers.cold.path"}) {
                    String v = config.getString(key);
                    if (!v.contains("://") && s.local(v).startsWith(work.toAbsolutePath().normalize())) {
                        IngestBench.deleteTree(s.local(v));
                    }
                }
            }
            EmbeddedRunner runner = EmbeddedRunner.start(s, work, true, parallelism);
            System.out.println(runner.restoredFrom() == null
                    ? "started fresh (work dir " + work + ")"
                    : "resumed from savepoint " + runner.restoredFrom());
            System.out.println("Redis " + s.redis + " | stream " + s.streamKey() + " | Prometheus on port "
                    + config.getInt("haim.observability.metrics_port") + "+ | Ctrl-C stops with a savepoint");

            AtomicBoolean running = new AtomicBoolean(true);
            CountDownLatch stopped = new CountDownLatch(1);
            Thread producer = null;
            if (withWorkload) {
                boolean resumed = runner.restoredFrom() != null;
                producer = new Thread(() -> playWorkload(s, running, resumed, runner.qsProxyPort()), "demo-producer");
                producer.setDaemon(true);
                producer.start();
            }
            Thread finalProducer = producer;
            Runnable stop = () -> {
                if (!running.getAndSet(false)) {
                    return;
                }
                try {
                    if (finalProducer != null) {
                        finalProducer.join(5_000);
                    }
                    System.out.println();
                    System.out.println("stopping with a savepoint...");
                    String sp = runner.stopWithSavepoint();
                    System.out.println("savepoint: " + sp + " (the next `./mnemocore " + (withWorkload ? "demo" : "run")
                            + "` resumes from it)");
                } catch (Exception e) {
                    System.err.println("stop with savepoint failed: " + e);
                } finally {
                    stopped.countDown();
                }
            };
            Thread hook = new Thread(() -> {
                stop.run();
                try {
                    stopped.await();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "demo-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);

            StatusBoard board = new StatusBoard(redis, s);
            boolean tty = System.console() != null;
            long start = System.currentTimeMillis();
            while (running.get()) {
                Thread.sleep(1000);
                long elapsed = (System.currentTimeMillis() - start) / 1000;
                try {
                    board.poll();
                    String line = board.line(elapsed);
                    if (tty) {
                        System.out.print("\r" + line);
                    } else if (elapsed % 5 == 0) {
                        System.out.println(line);
                    }
                } catch (RuntimeException e) {
                    System.out.println("(status unavailable: " + e.getMessage() + ")");
                }
                if (runner.client().getJobStatus().get().isGloballyTerminalState()) {
                    System.out.println("\njob ended: " + runner.client().getJobStatus().get());
                    break;
                }
                if (seconds > 0 && elapsed >= seconds) {
                    stop.run();
                }
            }
            stopped.await();
            board.poll();
            System.out.println("summary: " + board.line((System.currentTimeMillis() - start) / 1000));
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // Ctrl-C: the hook is what stopped us
            }
        }
    }

    static List<String> sampleTexts() throws Exception {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                Demo.class.getResourceAsStream("/io/mnemocore/jobs/sample/memories.txt"), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    out.add(line.strip());
                }
            }
        }
        return out;
    }

    /**
     * The sample workload: every text written as a memory (15 per second), five favourites
     * used every second (they stay HOT), some faded ones recalled later (WARM→HOT, and COLD
     * reactivation requests), two forgotten, and three bad events for the DLQ.
     */
    static void playWorkload(JobSettings s, AtomicBoolean running, boolean resumed, int qsPort) {
        try (JedisPooled redis = s.redis.createClient();
             MnemoClient client = new MnemoClient(s.config.getString("haim.redis.url"), s.streamKey(),
                     s.config.getString("haim.redis.query_stream"), s.config.codecLimits(), "127.0.0.1", qsPort)) {
            List<String> texts = sampleTexts();
            long t0 = System.currentTimeMillis();
            int written = resumed ? texts.size() : 0;
            boolean badSent = resumed, deleted = resumed, recalled = false, recalledCold = false;
            long asked = 0;
            while (running.get()) {
                long el = System.currentTimeMillis() - t0;
                while (written < texts.size() && written < el * 15 / 1000 + 1) {
                    MemoryEvent w = new MemoryEvent();
                    w.type = EventType.MEMORY_WRITE;
                    w.tenant = TENANT;
                    w.memoryId = "demo-" + written;
                    w.contextId = CONTEXTS[written % CONTEXTS.length];
                    w.text = texts.get(written);
                    w.timestamp = System.currentTimeMillis();
                    send(redis, s, s.codec.encode(w));
                    written++;
                }
                if (written >= 5) {
                    for (int i = 0; i < 5; i++) {
                        send(redis, s, s.codec.encode(access("demo-" + i)));
                    }
                }
                if (!badSent && el > 3_000) {
                    send(redis, s, new byte[] {1, 2, 3, 4});
                    send(redis, s, wrongLengthHdv());
                    send(redis, s, s.codec.encode(access("never-written")));
                    badSent = true;
                }
                if (!recalled && el > 25_000) {
                    for (int i = 20; i < 30; i++) {
                        for (int n = 0; n < 3; n++) {
                            send(redis, s, s.codec.encode(access("demo-" + i)));
                        }
                    }
                    recalled = true;
                }
                if (!deleted && el > 30_000) {
                    for (String id : new String[] {"demo-40", "demo-41"}) {
                        MemoryEvent d = new MemoryEvent();
                        d.type = EventType.MEMORY_DELETE;
                        d.tenant = TENANT;
                        d.memoryId = id;
                        send(redis, s, s.codec.encode(d));
                    }
                    deleted = true;
                }
                if (el > 8_000 && el / 10_000 > asked && written > 10) {
                    asked = el / 10_000;
                    // One of the memories the workload keeps using (so they stay HOT): on the fast
                    // clock the others leave HOT within seconds, and queries do not search WARM yet.
                    ask(client, texts, (int) (asked % 5));
                }
                if (!recalledCold && el > 60_000) {
                    for (int i = 60; i < 70; i++) {
                        send(redis, s, s.codec.encode(access("demo-" + i)));
                    }
                    recalledCold = true;
                }
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            System.err.println("demo producer stopped: " + e);
        }
    }

    /**
     * Every 10 s the demo asks the job about one of its memories, with the first words of its text
     * and its context, through the Java client, and prints the reply.
     */
    private static void ask(MnemoClient client, List<String> texts, int j) {
        String[] words = texts.get(j).split(" ");
        String question = String.join(" ", java.util.Arrays.copyOf(words, Math.min(6, words.length)));
        String context = CONTEXTS[j % CONTEXTS.length];
        long t0 = System.nanoTime();
        try {
            QueryReply r = client.query(TENANT, question, null, context, 3, java.time.Duration.ofSeconds(3));
            StringBuilder b = new StringBuilder();
            for (Hit h : r.hits) {
                b.append(b.length() == 0 ? "" : ", ").append(h.memoryId).append(" (").append(h.distance).append(" bits, ").append(h.tier).append(")");
            }
            System.out.printf("query \"%s\" [%s] -> %s; %.1f ms end to end, confidence %s%n", question, context,
                    b.length() == 0 ? "no HOT memory" : b, (System.nanoTime() - t0) / 1e6, r.confidence);
        } catch (java.io.IOException | java.util.concurrent.TimeoutException e) {
            System.out.println("query \"" + question + "\": " + e.getMessage());
        }
    }

    private static byte[] wrongLengthHdv() {
        // A Python-style dict whose hdv has 100 bytes: the DLQ reason is bad_hdv_length.
        try (var p = org.msgpack.core.MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(3);
            p.packString("type").packString("memory.write");
            p.packString("hdv").packBinaryHeader(100).writePayload(new byte[100]);
            p.packString("tenant").packString(TENANT);
            return p.toByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemoryEvent access(String id) {
        MemoryEvent a = new MemoryEvent();
        a.type = EventType.MEMORY_ACCESS;
        a.tenant = TENANT;
        a.memoryId = id;
        a.accessCount = 1;
        a.timestamp = System.currentTimeMillis();
        return a;
    }

    private static void send(JedisPooled redis, JobSettings s, byte[] data) {
        redis.xadd(s.streamKey().getBytes(StandardCharsets.UTF_8),
                XAddParams.xAddParams().maxLen(100_000).approximateTrimming(),
                Map.of("data".getBytes(StandardCharsets.UTF_8), data));
    }
}
