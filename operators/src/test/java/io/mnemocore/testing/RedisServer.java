package io.mnemocore.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.JedisPooled;

/**
 * A real {@code redis-server} on a free loopback port, owned by one test. With persistence on,
 * it can be stopped and restarted on the same port and data directory (append-only file).
 */
public final class RedisServer implements AutoCloseable {
    private final Path dir;
    private final boolean persistent;
    private final int port;
    private Process process;

    private RedisServer(Path dir, boolean persistent, int port) {
        this.dir = dir;
        this.persistent = persistent;
        this.port = port;
    }

    public static RedisServer start(Path dir, boolean persistent) throws Exception {
        RedisServer r = new RedisServer(dir, persistent, freePort());
        r.startProcess();
        return r;
    }

    public static String binary() {
        for (String p : new String[] {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
            if (new File(p).canExecute()) {
                return p;
            }
        }
        throw new IllegalStateException("redis-server not found; `./mnemocore test` installs it (apt-get install redis-server)");
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public synchronized void startProcess() throws Exception {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--dir", dir.toString(), "--daemonize", "no", "--protected-mode", "yes"));
        if (persistent) {
            cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
        } else {
            cmd.addAll(List.of("--appendonly", "no"));
        }
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile()).start();
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            try (JedisPooled c = new JedisPooled("127.0.0.1", port)) {
                if ("PONG".equals(c.ping())) {
                    return;
                }
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline || !process.isAlive()) {
                    throw new IllegalStateException("redis-server did not start on port " + port
                            + "; see " + dir.resolve("redis-" + port + ".log"), e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** Kills the server (as a crash would). */
    public synchronized void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    public JedisPooled client() {
        return new JedisPooled("127.0.0.1", port);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
