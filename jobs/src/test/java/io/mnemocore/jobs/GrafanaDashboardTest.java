package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * conf/grafana-dashboard.json has the shape Grafana's "Import dashboard" and file provisioning take
 * (a dashboard model whose queries go to a Prometheus data source variable) and the panels asked for.
 * That its queries name metrics the job really exports is checked against a live scrape in
 * {@link ClusterUpgradeITCase}.
 */
class GrafanaDashboardTest {
    @Test
    void importableDashboardWithTheRequiredPanels() throws Exception {
        JsonNode d = new ObjectMapper().readTree(Files.readString(PrometheusScrape.DASHBOARD));
        assertThat(d.path("title").asText()).isNotBlank();
        assertThat(d.path("uid").asText()).matches("[a-zA-Z0-9_-]{1,40}");
        assertThat(d.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        assertThat(d.has("id")).as("an exported dashboard carries no instance id").isFalse();
        // A data source variable, not an import input: it resolves both on import and when
        // docker-compose provisions the file (provisioning leaves ${DS_...} inputs unresolved).
        JsonNode var = d.path("templating").path("list").get(0);
        assertThat(var.path("name").asText()).isEqualTo("datasource");
        assertThat(var.path("type").asText()).isEqualTo("datasource");
        assertThat(var.path("query").asText()).isEqualTo("prometheus");

        Set<Integer> ids = new HashSet<>();
        List<String> titles = new ArrayList<>();
        for (JsonNode p : d.path("panels")) {
            assertThat(ids.add(p.path("id").asInt())).as("unique panel id " + p.path("id")).isTrue();
            titles.add(p.path("title").asText());
            assertThat(p.path("type").asText()).isNotBlank();
            for (String g : List.of("h", "w", "x", "y")) {
                assertThat(p.path("gridPos").path(g).isInt()).as(p.path("title") + " gridPos." + g).isTrue();
            }
            assertThat(p.path("gridPos").path("x").asInt() + p.path("gridPos").path("w").asInt()).isLessThanOrEqualTo(24);
            assertThat(p.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            assertThat(p.path("targets").size()).as(p.path("title") + " targets").isPositive();
            Set<String> refIds = new HashSet<>();
            for (JsonNode t : p.path("targets")) {
                assertThat(refIds.add(t.path("refId").asText())).isTrue();
                String expr = t.path("expr").asText();
                assertThat(expr).as(p.path("title") + " query").isNotBlank();
                assertThat(balanced(expr)).as("balanced brackets in " + expr).isTrue();
            }
        }
        assertThat(titles).contains("Memory write rate", "Search latency p95", "Memories per tier",
                "LTP strength distribution", "Dead-letter queue", "Source lag");
        assertThat(PrometheusScrape.dashboardMetrics()).allMatch(n -> n.contains("haim_") || n.startsWith("flink_jobmanager_job_"));
    }

    private static boolean balanced(String s) {
        int depth = 0;
        String open = "([{", close = ")]}";
        StringBuilder stack = new StringBuilder();
        boolean inString = false;
        for (char c : s.toCharArray()) {
            if (c == '"') {
                inString = !inString;
            } else if (!inString && open.indexOf(c) >= 0) {
                stack.append(c);
                depth++;
            } else if (!inString && close.indexOf(c) >= 0) {
                if (depth == 0 || stack.charAt(depth - 1) != open.charAt(close.indexOf(c))) {
                    return false;
                }
                stack.setLength(--depth);
            }
        }
        return depth == 0 && !inString;
    }
}
