package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.operators.ltp.MemoryState;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.query.Hit;
import io.mnemocore.operators.query.QueryReply;
import org.junit.jupiter.api.Test;

/** The CLI's human-readable lines (the --json forms are the client's and the job's own fields). */
class ClientCommandsTest {

    @Test
    void aReplyCountsInWords() {
        QueryReply r = new QueryReply();
        r.tier = "hot";
        r.latencyMs = 3;
        r.confidence = "high";
        r.scanned = 1;
        Hit h = new Hit();
        h.memoryId = "m1";
        h.distance = 12;
        h.score = 0.5;
        h.strength = 0.9;
        h.tier = "hot";
        r.hits = new Hit[] {h};
        assertThat(ClientCommands.replyText(r)).startsWith("1 hit from hot in 3 ms (confidence high; 1 memory scanned)\n  m1 ");
        r.hits = new Hit[] {h, h};
        r.scanned = 200;
        r.approximate = true;
        assertThat(ClientCommands.replyText(r)).startsWith("2 hits from hot in 3 ms (confidence high; 200 memories scanned, approximate)\n");
        r.predicted = new String[] {"m1", "m2"};
        r.predictedBy = "history+content";
        assertThat(ClientCommands.replyText(r)).contains("\npredicted: m1, m2 (by history+content)\n");
        assertThat(ClientCommands.replyJson(r).path("metadata").path("predicted_by").asText()).isEqualTo("history+content");
    }

    @Test
    void aMemorysStateShowsItsTimesAsUtcInstants() {
        MemoryState s = new MemoryState();
        s.tier = Tier.HOT;
        s.strength = 0.95;
        s.updatedMs = 1_796_557_728_880L;
        s.lastAccessMs = 1_796_557_700_000L;
        s.halfLifeMs = 54 * 3_600_000.0;
        s.accessCount = 2;
        s.writes = 1;
        assertThat(ClientCommands.stateText("acme", "dog1", s)).isEqualTo(
                "acme/dog1: HOT, LTP 0.9500 at 2026-12-06T11:48:48.880Z (half-life 54.0 h), last used 2026-12-06T11:48:20Z, 2 accesses, 1 write");
    }
}
