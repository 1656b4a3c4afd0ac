package io.mnemocore.jobs;

import io.mnemocore.hdv.bench.Stats;
import io.mnemocore.jobs.config.MnemoConfig;
import io.mnemocore.operators.redis.RedisStreams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import redis.clients.jedis.JedisPooled;

/**
 * {@code ./mnemocore bench state --memories N}: writes N memories with 2 KB vectors, lets them all
 * decay to COLD on a very fast LTP clock, and measures a native (RocksDB files) savepoint of the
 * job: its size divided by N is what one COLD memory costs in RocksDB, all overheads included.
 */
public final class StateBench {
    private StateBench() {}

    public static void main(String[] args) throws Exception {
        CommandLine o = CommandLine.of(args);
        int memories = o.intOpt("--memories", 100_000);
        o.done("--memories N");
        String stream = "haim:statebench:" + System.currentTimeMillis();
        List<String> sets = new ArrayList<>(List.of("haim.redis.stream_key=" + stream,
                "haim.redis.transitions_stream=" + stream + ":log", "haim.redis.dlq_stream=" + stream + ":dlq",
                // 30 LTP days pass in 2.6 ms: every memory is COLD moments after it is written.
                "haim.ltp.time_scale=1000000000"));
        sets.addAll(TierBench.scratchTiers());
        MnemoConfig config = o.config(sets);
        JobSettings s = new JobSettings(config);
        Path work = Files.createTempDirectory("mnemocore-statebench-");
        try (JedisPooled redis = s.redis.createClient()) {
            IngestBench.fill(redis, s, stream, memories);
            JobClient job = EmbeddedRunner.submit(s, EmbeddedRunner.flinkConfig(s, work, null, 2), 2, "mnemocore-bench-state");
            StatusBoard board = new StatusBoard(redis, s);
            long deadline = System.currentTimeMillis() + 600_000;
            while (true) {
                board.poll();
                RedisStreams.GroupInfo g = RedisStreams.groupInfo(redis, stream, config.getString("haim.redis.consumer_group"));
                if (board.cold() == memories && g.lag == 0 && g.pending == 0) {
                    break;
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("not all memories went COLD in time: " + board.line(0));
                }
                Thread.sleep(500);
            }
            String savepoint = job.stopWithSavepoint(false, work.resolve("savepoints").toUri().toString(),
                    SavepointFormatType.NATIVE).get(300, TimeUnit.SECONDS);
            long bytes;
            try (Stream<Path> files = Files.walk(Path.of(java.net.URI.create(savepoint)))) {
                bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            redis.del(stream, stream + ":log", stream + ":dlq");
            System.out.println("{\"memories\":" + memories + ",\"cold\":" + board.cold()
                    + ",\"native_savepoint_bytes\":" + bytes
                    + ",\"bytes_per_cold_memory\":" + Stats.fmt((double) bytes / memories) + "}");
        } finally {
            IngestBench.deleteTree(work);
        }
    }
}
