package io.mnemocore.jobs.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The few calls of Flink's REST API that submitting and upgrading the job need: jar upload and run,
 * job status, stop with a savepoint. Any Flink 2.x JobManager answers them, not only the local cluster.
 */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(String baseUrl) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    }

    public URI base() {
        return base;
    }

    /** GET /overview, or null when the JobManager does not answer. */
    public JsonNode overviewOrNull() {
        try {
            return get("overview");
        } catch (IOException e) {
            return null;
        }
    }

    /** Uploads a job jar and returns the id the cluster gave it. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "----mnemocore" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest req = HttpRequest.newBuilder(base.resolve("jars/upload"))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(jar), HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
        String file = send(req).path("filename").asText();
        if (file.isEmpty()) {
            throw new IOException("jar upload answered without a file name");
        }
        return Path.of(file).getFileName().toString();
    }

    /**
     * Runs an uploaded jar; returns the job id. {@code savepoint} may be null (fresh start); a
     * restore never drops state silently (allowNonRestoredState is false).
     */
    public String runJar(String jarId, String entryClass, List<String> args, int parallelism, String savepoint)
            throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("entryClass", entryClass);
        body.putPOJO("programArgsList", new ArrayList<>(args));
        if (parallelism > 0) {
            body.put("parallelism", parallelism);
        }
        if (savepoint != null) {
            body.put("savepointPath", savepoint);
            body.put("allowNonRestoredState", false);
        }
        return send(post("jars/" + jarId + "/run", body, Duration.ofMinutes(3))).path("jobid").asText();
    }

    /** Job ids with their state (RUNNING, FINISHED, ...), newest first as the cluster lists them. */
    public List<String[]> jobs() throws IOException {
        List<String[]> out = new ArrayList<>();
        for (JsonNode j : get("jobs/overview").path("jobs")) {
            out.add(new String[] {j.path("jid").asText(), j.path("state").asText(), j.path("name").asText()});
        }
        return out;
    }

    public String jobState(String jobId) throws IOException {
        return get("jobs/" + jobId).path("state").asText();
    }

    /** Waits until the job is RUNNING with all its tasks running; fails when it ends first. */
    public void awaitRunning(String jobId, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode job = get("jobs/" + jobId);
            String state = job.path("state").asText();
            if (state.equals("FAILED") || state.equals("CANCELED") || state.equals("FINISHED")) {
                throw new IOException("job " + jobId + " is " + state + ": " + exceptions(jobId));
            }
            boolean allRunning = state.equals("RUNNING");
            for (JsonNode v : job.path("vertices")) {
                allRunning &= v.path("status").asText().equals("RUNNING");
            }
            if (allRunning) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("job " + jobId + " not running after " + timeout + " (state " + state + ")");
            }
            Thread.sleep(200);
        }
    }

    private String exceptions(String jobId) {
        try {
            return get("jobs/" + jobId + "/exceptions").path("rootException").asText();
        } catch (IOException e) {
            return "(no exception history: " + e.getMessage() + ")";
        }
    }

    /** Stops the job with a canonical savepoint under {@code targetDirectory}; returns its path. */
    public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("targetDirectory", targetDirectory);
        body.put("drain", false);
        body.put("formatType", "CANONICAL");
        String trigger = send(post("jobs/" + jobId + "/stop", body, Duration.ofSeconds(30))).path("request-id").asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode r = get("jobs/" + jobId + "/savepoints/" + trigger);
            if (r.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode op = r.path("operation");
                if (op.has("failure-cause")) {
                    throw new IOException("stop with savepoint failed: "
                            + rootCause(op.path("failure-cause").path("stack-trace").asText()));
                }
                return op.path("location").asText();
            }
            Thread.sleep(200);
        }
        throw new IOException("savepoint of job " + jobId + " not done after " + timeout);
    }

    public void cancel(String jobId) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
                .timeout(Duration.ofSeconds(30)).method("PATCH", HttpRequest.BodyPublishers.noBody()).build();
        send(req);
    }

    /** The innermost "Caused by:" line of a Java stack trace (Flink's REST errors carry whole traces). */
    static String rootCause(String trace) {
        int i = trace.lastIndexOf("Caused by: ");
        String line = i < 0 ? trace : trace.substring(i + "Caused by: ".length());
        int nl = line.indexOf('\n');
        return nl < 0 ? line : line.substring(0, nl);
    }

    private JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    private HttpRequest post(String path, JsonNode body, Duration timeout) throws IOException {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
    }

    private JsonNode send(HttpRequest req) throws IOException {
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() >= 300) {
            String why = r.body();
            try {
                why = rootCause(JSON.readTree(r.body()).path("errors").toString().replace("\\n", "\n").replace("\\t", "\t"));
            } catch (IOException notJson) {
                // keep the raw body
            }
            throw new IOException(req.method() + " " + req.uri() + " answered " + r.statusCode() + ": " + why);
        }
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }
}
