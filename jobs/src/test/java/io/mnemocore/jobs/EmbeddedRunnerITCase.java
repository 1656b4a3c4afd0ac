package io.mnemocore.jobs;

import static io.mnemocore.jobs.JobTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.client.MnemoClient;
import io.mnemocore.operators.ltp.MemoryState;
import io.mnemocore.testing.RedisServer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.api.common.JobID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded run that {@code ./mnemocore run} and {@code demo} start, as the CLI finds it. */
class EmbeddedRunnerITCase {

    /**
     * {@code ./mnemocore inspect} without options asks the queryable-state proxy of the last local
     * start. With 9069 taken, the run must take another port and say which, and the CLI must ask
     * that one. (Given the range 9069-9079, Flink bound 9072 even with 9069 free.)
     */
    @Test
    void inspectFindsTheRunsQueryableStateOnThePortItRecorded(@TempDir Path dir) throws Exception {
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false);
             ServerSocket taken = takeFirstFree(EmbeddedRunner.QS_PROXY_PORT)) {
            JobSettings s = JobTestSupport.settings(redis);
            try (EmbeddedRunner runner = EmbeddedRunner.start(s, dir.resolve(".mnemocore").resolve("run"), false, 1)) {
                Path last = ClientCommands.lastStart(dir.resolve(".mnemocore"));
                assertThat(last).isEqualTo(dir.resolve(".mnemocore").resolve("run"));
                int port = ClientCommands.recordedQsPort(last);
                assertThat(port).isEqualTo(runner.qsProxyPort())
                        .isBetween(EmbeddedRunner.QS_PROXY_PORT, EmbeddedRunner.QS_PROXY_PORT + 10)
                        .isNotEqualTo(taken.getLocalPort());
                JobID job = JobID.fromHexString(Files.readString(last.resolve("job-id")).trim());
                assertThat(job).isEqualTo(runner.client().getJobID());

                try (MnemoClient client = new MnemoClient(redis.url(), s.streamKey(), s.config.getString("haim.redis.query_stream"),
                        s.config.dimensionality(), "127.0.0.1", port)) {
                    client.store("acme", "n1", "buy oat milk and coffee beans", null, "shopping", 0.8);
                    MemoryState[] found = new MemoryState[1];
                    await("n1 through queryable state on port " + port, 60_000, () -> {
                        try {
                            found[0] = client.inspect(job, "acme", "n1");
                        } catch (Exception e) {
                            return false; // the proxy or the memory may not be there yet
                        }
                        return found[0] != null;
                    });
                    assertThat(found[0].strength).isEqualTo(0.8);
                    assertThat(found[0].tier).hasToString("HOT");

                    // `./mnemocore predict --text`: the text, encoded as the job encodes a query's (bound
                    // to the context it was stored in), is the blueprint's context_hdv. The context has
                    // no uses to walk, so the nearest memory to that vector is the prediction.
                    String[] out = new String[1];
                    JobTestSupport.awaitOr(() -> "n1 predicted by the CLI; it printed " + out[0], 60_000, () -> {
                        out[0] = cli("predict", "--tenant", "acme", "--context", "shopping", "--text", "oat milk and coffee beans", "--k", "2", "--json",
                                "--set", "haim.redis.url=" + redis.url());
                        return out[0].contains("\"predicted\":[\"n1\"]");
                    });
                    assertThat(out[0]).contains("\"memory_id\":\"n1\"");
                }
            }
        }
    }

    /** What a client verb of the CLI prints. */
    private static String cli(String verb, String... args) {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            ClientCommands.run(verb, args);
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(stdout);
        }
        return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Binds the first free port from {@code first} on, so the run cannot have it. */
    private static ServerSocket takeFirstFree(int first) throws Exception {
        for (int p = first; p < first + 10; p++) {
            try {
                return new ServerSocket(p);
            } catch (java.io.IOException busy) {
                // next
            }
        }
        throw new IllegalStateException("no free port from " + first);
    }
}
