package io.mnemocore.jobs;

import io.mnemocore.client.MnemoClient;
import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.ltp.MemoryState;
import io.mnemocore.operators.query.Hit;
import io.mnemocore.operators.query.QueryReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apache.flink.api.common.JobID;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code ./mnemocore store|query|predict|inspect|forget}: the {@link MnemoClient} verbs from the shell. */
final class ClientCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClientCommands() {}

    static void run(String verb, String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        boolean json = o.flag("--json");
        String tenant = or(o.opt("--tenant"), "default");
        String id = o.opt("--id");
        String text = o.opt("--text");
        String hdvFile = o.opt("--hdv-file");
        String context = o.opt("--context");
        String ltp = o.opt("--ltp");
        int k = o.intOpt("--k", 10);
        long timeoutMs = o.longOpt("--timeout-ms", 10_000);
        int window = o.intOpt("--window", 60);
        String job = o.opt("--job");
        String qsHost = or(o.opt("--qs-host"), "127.0.0.1");
        int qsPort = o.intOpt("--qs-port", -1);
        MnemoConfig c = o.config();
        o.done("--tenant T, --id ID, --text TEXT, --hdv-file FILE, --context C, --ltp S, --k K, --timeout-ms MS, --window N,"
                + " --job ID, --qs-host H, --qs-port P, --json");
        // The job to inspect, and its proxy port: as given, else as the last local start recorded them.
        Path last = job == null && verb.equals("inspect") ? lastStart(Path.of(".mnemocore")) : null;
        if (qsPort < 0) {
            qsPort = last != null ? recordedQsPort(last) : EmbeddedRunner.QS_PROXY_PORT;
        }
        try (MnemoClient client = new MnemoClient(c.getString("haim.redis.url"), c.getString("haim.redis.stream_key"),
                c.getString("haim.redis.query_stream"), c.codecLimits(), qsHost, qsPort)) {
            long[] hdv = hdvFile == null ? null : client.fromPacked(Files.readAllBytes(Path.of(hdvFile)));
            switch (verb) {
                case "store": {
                    need(text != null ^ hdv != null, "store needs exactly one of --text and --hdv-file");
                    String mid = client.store(tenant, id, text, hdv, context, ltp == null ? null : Double.valueOf(ltp));
                    print(json, JSON.createObjectNode().put("stored", mid).put("tenant", tenant),
                            "stored " + tenant + "/" + mid + " (the job applies it asynchronously)");
                    break;
                }
                case "query": {
                    need(text != null ^ hdv != null, "query needs exactly one of --text and --hdv-file");
                    QueryReply r = client.query(tenant, text, hdv, context, k, Duration.ofMillis(timeoutMs));
                    print(json, replyJson(r), replyText(r));
                    break;
                }
                case "predict": {
                    need(!(text != null && hdv != null), "predict takes at most one of --text and --hdv-file");
                    need(context != null || text != null || hdv != null,
                            "predict needs --context (its recent uses predict), a context vector (--text or --hdv-file), or both");
                    // The job has no text field on inference.predict (the blueprint's context_hdv is bytes):
                    // the text is encoded here, as the job would encode a query's, with the configured encoder.
                    long[] contextHdv = text != null ? JobSettings.encoderSpec(c).create().encode(text, context).words() : hdv;
                    QueryReply r = client.predict(tenant, context, contextHdv, k, window, Duration.ofMillis(timeoutMs));
                    print(json, replyJson(r), replyText(r));
                    break;
                }
                case "inspect": {
                    need(id != null, "inspect needs --id");
                    JobID jid = JobID.fromHexString(job != null ? job : Files.readString(last.resolve("job-id")).trim());
                    MemoryState s = client.inspect(jid, tenant, id);
                    if (s == null) {
                        print(json, JSON.createObjectNode().put("tenant", tenant).put("memory_id", id).putNull("state"),
                                tenant + "/" + id + ": no such memory");
                        System.exit(3);
                    }
                    print(json, stateJson(tenant, id, s), stateText(tenant, id, s));
                    break;
                }
                case "forget": {
                    need(id != null, "forget needs --id");
                    client.forget(tenant, id);
                    print(json, JSON.createObjectNode().put("forgotten", id).put("tenant", tenant),
                            "deleting " + tenant + "/" + id + " (the job applies it asynchronously)");
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown verb " + verb);
            }
        }
    }

    private static String or(String v, String dflt) {
        return v != null ? v : dflt;
    }

    private static void need(boolean ok, String why) {
        if (!ok) {
            throw new IllegalArgumentException(why);
        }
    }

    /** The directory under {@code root} of the most recent local start (demo, run or cluster submit): it holds {@code job-id}. */
    static Path lastStart(Path root) throws Exception {
        Path best = null;
        for (String d : List.of("demo", "run", "cluster")) {
            Path p = root.resolve(d).resolve("job-id");
            if (Files.exists(p) && (best == null || Files.getLastModifiedTime(p).compareTo(Files.getLastModifiedTime(best)) > 0)) {
                best = p;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no job recorded under " + root + "/; pass --job ID");
        }
        return best.getParent();
    }

    /** The queryable-state proxy port an embedded start recorded in {@code dir}; a cluster's is Flink's default. */
    static int recordedQsPort(Path dir) throws Exception {
        Path p = dir.resolve(EmbeddedRunner.QS_PORT_FILE);
        return Files.exists(p) ? Integer.parseInt(Files.readString(p).trim()) : EmbeddedRunner.QS_PROXY_PORT;
    }

    private static void print(boolean json, ObjectNode j, String text) throws Exception {
        System.out.println(json ? JSON.writeValueAsString(j) : text);
    }

    static ObjectNode replyJson(QueryReply r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("query_id", r.queryId).put("tenant", r.tenant);
        ArrayNode hits = o.putArray("hits");
        for (Hit h : r.hits) {
            ObjectNode x = hits.addObject();
            x.put("memory_id", h.memoryId).put("distance", h.distance).put("score", h.score).put("tier", h.tier)
                    .put("ltp_strength", h.strength);
            if (h.contextId != null) {
                x.put("context_id", h.contextId);
            }
        }
        ObjectNode m = o.putObject("metadata");
        m.put("tier", r.tier).put("latency_ms", r.latencyMs).put("confidence", r.confidence).put("degraded", r.degraded)
                .put("scanned", r.scanned).put("approximate", r.approximate);
        if (r.degradedReason != null) {
            m.put("degraded_reason", r.degradedReason);
        }
        if (r.predicted != null) {
            ArrayNode p = m.putArray("predicted");
            for (String id : r.predicted) {
                p.add(id);
            }
        }
        if (r.predictedBy != null) {
            m.put("predicted_by", r.predictedBy);
        }
        return o;
    }

    static String replyText(QueryReply r) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s from %s in %d ms (confidence %s%s; %s scanned%s)%n",
                count(r.hits.length, "hit", "hits"), r.tier, r.latencyMs, r.confidence, r.degraded ? ", degraded: " + r.degradedReason : "",
                count(r.scanned, "memory", "memories"), r.approximate ? ", approximate" : ""));
        if (r.predicted != null) {
            b.append("predicted: ").append(r.predicted.length == 0 ? "nothing yet" : String.join(", ", r.predicted)
                    + (r.predictedBy != null ? " (by " + r.predictedBy + ")" : "")).append('\n');
        }
        for (Hit h : r.hits) {
            b.append(String.format(Locale.ROOT, "  %-24s distance %5d  score %.4f  ltp %.3f  %s%s%n", h.memoryId, h.distance,
                    h.score, h.strength, h.tier, h.contextId != null ? "  context " + h.contextId : ""));
        }
        return b.toString().stripTrailing();
    }

    static ObjectNode stateJson(String tenant, String id, MemoryState s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("tenant", tenant).put("memory_id", id).put("tier", s.tier.name().toLowerCase(Locale.ROOT))
                .put("ltp_strength", s.strength).put("updated_ms", s.updatedMs).put("half_life_ms", s.halfLifeMs)
                .put("access_count", s.accessCount).put("writes", s.writes).put("created_ms", s.createdMs)
                .put("last_access_ms", s.lastAccessMs);
        if (s.contextId != null) {
            o.put("context_id", s.contextId);
        }
        if (s.archive != null) {
            o.put("archive", s.archive);
        }
        return o;
    }

    static String stateText(String tenant, String id, MemoryState s) {
        // Times as UTC instants: the JSON form keeps the epoch milliseconds for scripts.
        return String.format(Locale.ROOT, "%s/%s: %s, LTP %.4f at %s (half-life %.1f h), last used %s, %s, %s%s",
                tenant, id, s.tier, s.strength, java.time.Instant.ofEpochMilli(s.updatedMs), s.halfLifeMs / 3_600_000.0,
                java.time.Instant.ofEpochMilli(s.lastAccessMs), count(s.accessCount, "access", "accesses"),
                count(s.writes, "write", "writes"), s.contextId != null ? ", context " + s.contextId : "");
    }

    private static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
