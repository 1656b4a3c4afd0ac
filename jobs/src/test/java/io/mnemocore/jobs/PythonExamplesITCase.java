package io.mnemocore.jobs;

import static io.mnemocore.jobs.FaultToleranceITCase.createdIds;
import static io.mnemocore.jobs.JobTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mnemocore.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/** examples/producer.py and examples/querier.py (redis + msgpack only) against the running job. */
class PythonExamplesITCase {
    static final Path EXAMPLES = Path.of("..", "examples");

    static String python() throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import redis, msgpack").redirectErrorStream(true).start();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? "/usr/bin/python3" : null;
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }

    /** Runs the querier until its JSON reply satisfies {@code done}; returns that reply. */
    static JsonNode askUntil(String what, List<String> cmd, java.util.function.Predicate<JsonNode> done) throws InterruptedException {
        JsonNode[] reply = new JsonNode[1];
        await(what, 60_000, () -> {
            try {
                reply[0] = new ObjectMapper().readTree(run(cmd.toArray(new String[0])));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return done.test(reply[0]);
        });
        return reply[0];
    }

    @Test
    void producerWritesAndQuerierGetsAnswers(@TempDir Path dir) throws Exception {
        String py = python();
        assumeTrue(py != null, "no /usr/bin/python3 with redis and msgpack (./mnemocore test installs python3-redis python3-msgpack)");
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false); JedisPooled c = redis.client()) {
            JobClient job = JobTestSupport.start(JobTestSupport.settings(redis), 2);
            try {
                String vector = dir.resolve("vector.bin").toString();
                String out = run(py, EXAMPLES.resolve("producer.py").toString(), "--redis", redis.url(), "--tenant", "acme",
                        "--vector-out", vector);
                assertThat(out).contains("wrote acme/py-garden", "wrote acme/py-vector");
                await("written", 60_000, () -> createdIds(c).size() == 4);

                ObjectMapper json = new ObjectMapper();
                List<String> ask = new ArrayList<>(List.of(py, EXAMPLES.resolve("querier.py").toString(), "--redis", redis.url(),
                        "--tenant", "acme", "--k", "2"));
                List<String> byText = new ArrayList<>(ask);
                byText.addAll(List.of("--text", "water the tomatoes on friday", "--context", "garden"));
                // A `created` transition does not order a query after the HOT index has applied the
                // write (they travel different edges; QueryServingITCase.askUntilIndexed): ask again
                // until the reply has scanned all four memories, so the vector query below finds its
                // memory indexed too.
                JsonNode r = askUntil("a reply over all four memories", byText,
                        reply -> reply.path("metadata").path("scanned").asInt() == 4);
                assertThat(r.path("hits").get(0).path("memory_id").asText()).isEqualTo("py-garden");
                assertThat(r.path("hits").get(0).path("payload").path("source").asText()).isEqualTo("producer.py");
                assertThat(r.path("metadata").path("tier").asText()).isEqualTo("hot");

                List<String> byVector = new ArrayList<>(ask);
                byVector.addAll(List.of("--hdv-file", vector));
                JsonNode v = json.readTree(run(byVector.toArray(new String[0])));
                assertThat(v.path("hits").get(0).path("memory_id").asText()).isEqualTo("py-vector");
                assertThat(v.path("hits").get(0).path("distance").asInt()).isZero();
                assertThat(v.path("metadata").path("confidence").asText()).isEqualTo("high");

                // The blueprint's inference.predict, a context vector and no context: its nearest memory.
                List<String> byContextVector = new ArrayList<>(ask);
                byContextVector.addAll(List.of("--predict", "--hdv-file", vector));
                JsonNode cv = json.readTree(run(byContextVector.toArray(new String[0])));
                assertThat(cv.path("kind").asText()).isEqualTo("inference.predict");
                assertThat(cv.path("metadata").path("predicted").path(0).asText()).isEqualTo("py-vector");
                assertThat(cv.path("metadata").path("predicted_by").asText()).isEqualTo("content");
                assertThat(cv.path("hits").get(0).path("memory_id").asText()).isEqualTo("py-vector");

                // A routine in context "chores": garden, vector, garden, vector, garden: next comes the vector.
                // (Distinct event times: the two memories' uses reach active inference from different subtasks.)
                long t = System.currentTimeMillis();
                for (int i = 0; i < 5; i++) {
                    JobTestSupport.send(c, "haim:subconscious", io.mnemocore.operators.codec.PyPack.packb(io.mnemocore.operators.codec.PyPack.dict(
                            "type", "memory.access", "tenant", "acme", "memory_id", i % 2 == 0 ? "py-garden" : "py-vector",
                            "context_id", "chores", "timestamp", t += 10)));
                }
                List<String> predict = new ArrayList<>(ask);
                predict.addAll(List.of("--predict", "--context", "chores", "--window", "0"));
                JsonNode p = askUntil("the vector predicted", predict,
                        reply -> reply.path("metadata").path("predicted").path(0).asText().equals("py-vector"));
                assertThat(p.path("kind").asText()).isEqualTo("inference.predict");
                assertThat(p.path("hits").get(0).path("memory_id").asText()).isEqualTo("py-vector");
                assertThat(p.path("metadata").path("predicted_by").asText()).as("no context vector: the history alone").isEqualTo("history");
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }
}
