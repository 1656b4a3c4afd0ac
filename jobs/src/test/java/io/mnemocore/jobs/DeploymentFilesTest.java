package io.mnemocore.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.mnemocore.jobs.config.ConfigLoader;
import io.mnemocore.jobs.config.MnemoConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml and the Kubernetes manifest cannot be run here (no Docker engine, no
 * Kubernetes), so their wiring is checked by reading them: every service the configuration points
 * at exists with that port, every mounted file exists (or is one the build writes), every HAIM_*
 * variable is a real config key, and Flink, Prometheus and Grafana agree on ports and names.
 */
class DeploymentFilesTest {
    static final Path ROOT = Path.of("..");

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path p) throws Exception {
        LoaderOptions o = new LoaderOptions();
        o.setMaxAliasesForCollections(100);
        return (Map<String, Object>) new Yaml(o).load(Files.readString(p));
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object node, String... path) {
        Object n = node;
        for (String k : path) {
            assertThat(n).as("parent of " + k).isInstanceOf(Map.class);
            n = ((Map<String, Object>) n).get(k);
            assertThat(n).as(String.join(".", path) + " (missing " + k + ")").isNotNull();
        }
        return (T) n;
    }

    static Map<String, String> flinkProperties(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0) {
                m.put(line.substring(0, colon).trim(), line.substring(colon + 2).trim());
            }
        }
        return m;
    }

    /** Container ports a service publishes ("host:container"). */
    static List<Integer> containerPorts(Map<String, Object> service) {
        List<Integer> ports = new ArrayList<>();
        Object ps = service.get("ports");
        if (ps instanceof List<?> l) {
            for (Object p : l) {
                String s = p.toString();
                ports.add(Integer.parseInt(s.substring(s.lastIndexOf(':') + 1)));
            }
        }
        return ports;
    }

    static String projectVersion() throws Exception {
        Matcher m = Pattern.compile("<artifactId>mnemocore-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    /** A mounted host path exists, or is an output of the build (job jar, cluster module's extra lib). */
    static void assertMountable(String hostPath, String version) {
        String rel = hostPath.startsWith("./") ? hostPath.substring(2) : hostPath;
        if (rel.startsWith("jobs/target/")) {
            assertThat(rel).isEqualTo("jobs/target/mnemocore-jobs-" + version + "-job.jar");
        } else if (rel.startsWith("cluster/target/flink-extra-lib/")) {
            assertThat(rel).isIn("cluster/target/flink-extra-lib/flink-queryable-state-runtime.jar",
                    "cluster/target/flink-extra-lib/log4j-layout-template-json.jar");
            assertThat(ROOT.resolve(rel)).as(rel + " (written by the cluster module's build)").exists();
        } else {
            assertThat(ROOT.resolve(rel)).as("mounted " + rel).exists();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeWiresEveryServiceTheConfigNames() throws Exception {
        Map<String, Object> compose = yaml(ROOT.resolve("docker-compose.yml"));
        Map<String, Object> services = at(compose, "services");
        assertThat(services).containsKeys("jobmanager", "taskmanager", "redis", "qdrant", "minio", "prometheus", "grafana");
        String version = projectVersion();

        // Every bind mount exists; every named volume is declared.
        Map<String, Object> volumes = at(compose, "volumes");
        for (Map.Entry<String, Object> s : services.entrySet()) {
            Object vs = ((Map<String, Object>) s.getValue()).get("volumes");
            if (vs instanceof List<?> l) {
                for (Object v : l) {
                    String host = v.toString().split(":")[0];
                    if (host.startsWith(".")) {
                        assertMountable(host, version);
                    } else {
                        assertThat(volumes).as(s.getKey() + " volume " + host).containsKey(host);
                    }
                }
            }
        }

        for (String flink : List.of("jobmanager", "taskmanager")) {
            Map<String, Object> svc = at(services, flink);
            assertThat(svc.get("image").toString()).startsWith("flink:2.3");
            Map<String, Object> env = at(svc, "environment");
            Map<String, String> haim = new HashMap<>();
            env.forEach((k, v) -> {
                if (k.startsWith("HAIM_")) {
                    haim.put(k, v.toString());
                }
            });
            // Unknown HAIM_* variables or bad values fail here, naming the variable.
            MnemoConfig c = ConfigLoader.load(ROOT.resolve("conf/mnemocore.yaml"), haim, List.of());
            for (String key : List.of("haim.redis.url", "haim.qdrant.url")) {
                URI u = URI.create(c.getString(key));
                assertThat(services).as(key + " host").containsKey(u.getHost());
                assertThat(containerPorts(at(services, u.getHost()))).as(key + " port").contains(u.getPort());
            }
            Map<String, String> fp = flinkProperties(at(env, "FLINK_PROPERTIES"));
            assertThat(fp).containsEntry("queryable-state.enable", "true")
                    .containsEntry("state.backend.type", "rocksdb")
                    .containsEntry("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                    .containsEntry("jobmanager.rpc.address", "jobmanager");
            URI s3 = URI.create(fp.get("s3.endpoint"));
            assertThat(containerPorts(at(services, s3.getHost()))).contains(s3.getPort());
            // COLD archives go to the bucket minio-init creates, through the s3.* settings above.
            assertThat(c.getString("haim.tiers.cold.storage_backend")).isEqualTo("s3");
            assertThat(c.getString("haim.tiers.cold.path")).startsWith("s3a://mnemocore/");
            assertThat(URI.create(c.getString("haim.qdrant.url")).getPort()).as("Qdrant's gRPC port").isEqualTo(6334);
            assertThat(fp.get("execution.checkpointing.savepoint-dir")).startsWith("s3://mnemocore/");
            assertThat(env.get("ENABLE_BUILT_IN_PLUGINS").toString()).isEqualTo("flink-s3-fs-hadoop-2.3.0.jar");
            assertThat(containerPorts(svc)).contains(Integer.parseInt(fp.get("metrics.reporter.prom.port")));
            assertThat(svc.get("volumes").toString()).contains("/opt/flink/lib/flink-queryable-state-runtime.jar",
                    "/opt/flink/usrlib/mnemocore-job.jar", "/opt/mnemocore/mnemocore.yaml");
        }
        assertThat(containerPorts(at(services, "taskmanager"))).contains(9069);
        String jm = at(services, "jobmanager", "command");
        assertThat(jm).contains("standalone-job", "--job-classname " + MnemoCoreJob.class.getName(),
                "--config /opt/mnemocore/mnemocore.yaml");
        assertThat(at(services, "minio-init", "entrypoint").toString()).contains("mc mb", "s3/mnemocore");

        // Prometheus scrapes both Flink processes on the reporter port; Grafana reads that Prometheus.
        String promPort = flinkProperties(at(at(services, "jobmanager"), "environment", "FLINK_PROPERTIES"))
                .get("metrics.reporter.prom.port");
        Map<String, Object> prom = yaml(ROOT.resolve("conf/prometheus.yml"));
        List<Map<String, Object>> scrape = at(prom, "scrape_configs");
        List<String> targets = (List<String>) ((List<Map<String, Object>>) scrape.get(0).get("static_configs")).get(0).get("targets");
        assertThat(targets).containsExactlyInAnyOrder("jobmanager:" + promPort, "taskmanager:" + promPort);
        assertThat(containerPorts(at(services, "prometheus"))).contains(9090);
        Map<String, Object> ds = ((List<Map<String, Object>>) at(yaml(ROOT.resolve(
                "conf/grafana/provisioning/datasources/prometheus.yml")), "datasources")).get(0);
        assertThat(ds.get("url")).isEqualTo("http://prometheus:9090");
        Map<String, Object> dashProvider = ((List<Map<String, Object>>) at(yaml(ROOT.resolve(
                "conf/grafana/provisioning/dashboards/mnemocore.yml")), "providers")).get(0);
        String dashDir = at(dashProvider, "options", "path");
        assertThat(at(services, "grafana", "volumes").toString())
                .contains("./conf/grafana-dashboard.json:" + dashDir + "/mnemocore.json");
    }

    @Test
    void kubernetesDeploymentUpgradesFromSavepoints() throws Exception {
        Map<String, Object> d = yaml(ROOT.resolve("conf/k8s/mnemocore-flinkdeployment.yaml"));
        assertThat(d.get("apiVersion")).isEqualTo("flink.apache.org/v1beta1");
        assertThat(d.get("kind")).isEqualTo("FlinkDeployment");
        assertThat(at(d, "spec", "job", "upgradeMode").toString()).isEqualTo("savepoint");
        assertThat(at(d, "spec", "job", "allowNonRestoredState").toString()).isEqualTo("false");
        assertThat(at(d, "spec", "job", "entryClass").toString()).isEqualTo(MnemoCoreJob.class.getName());
        assertThat(at(d, "spec", "job", "jarURI").toString()).isEqualTo("local:///opt/flink/usrlib/mnemocore-job.jar");
        Map<String, Object> fc = at(d, "spec", "flinkConfiguration");
        assertThat(fc).containsEntry("queryable-state.enable", "true").containsEntry("state.backend.type", "rocksdb")
                .containsKey("execution.checkpointing.savepoint-dir").containsKey("metrics.reporter.prom.factory.class");
        String podTemplate = at(d, "spec", "podTemplate").toString();
        assertThat(podTemplate).contains("HAIM_REDIS_URL", "HAIM_QDRANT_URL", "flink-s3-fs-hadoop-2.3.0.jar", "qdrant.mnemocore.svc:6334",
                "HAIM_TIERS_COLD_PATH", "s3a://mnemocore/");
        // The image the manifest names is built by the Dockerfile beside it, from files that exist.
        String dockerfile = Files.readString(ROOT.resolve("conf/k8s/Dockerfile"));
        assertThat(dockerfile).contains("FROM flink:2.3", "/opt/flink/usrlib/mnemocore-job.jar", "/opt/mnemocore/mnemocore.yaml");
        String version = projectVersion();
        for (String line : dockerfile.split("\n")) {
            if (line.startsWith("COPY ")) {
                String[] parts = line.substring(5).trim().split("\\s+");
                for (int i = 0; i < parts.length - 1; i++) {
                    assertMountable(parts[i], version);
                }
            }
        }
        assertThat(at(d, "spec", "job", "args").toString()).contains("/opt/mnemocore/mnemocore.yaml");
    }
}
