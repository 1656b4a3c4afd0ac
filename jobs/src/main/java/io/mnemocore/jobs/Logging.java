package io.mnemocore.jobs;

import io.mnemocore.jobs.config.MnemoConfig;
import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.AppenderComponentBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * Logging of the embedded commands (demo, run) from {@code haim.observability.*}: the full log at
 * {@code log_level} goes to a file, one JSON object per line (ECS fields) when
 * {@code structured_logging} is on; the console keeps warnings only, so the status board stays
 * readable. The local session cluster writes its JVMs' logs the same way ({@code LocalCluster}).
 */
public final class Logging {
    private Logging() {}

    public static void configure(MnemoConfig c, Path logFile) {
        boolean json = c.getBool("haim.observability.structured_logging");
        Level level = Level.valueOf(c.getString("haim.observability.log_level"));
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setConfigurationName("mnemocore");
        b.add(b.newAppender("console", "Console").addAttribute("target", ConsoleAppender.Target.SYSTEM_ERR)
                .add(b.newLayout("PatternLayout").addAttribute("pattern", "%d{HH:mm:ss} %-5p %c{1} - %m%n"))
                .add(b.newFilter("ThresholdFilter", "ACCEPT", "DENY").addAttribute("level", Level.WARN)));
        AppenderComponentBuilder file = b.newAppender("file", "File")
                .addAttribute("fileName", logFile.toAbsolutePath().toString()).addAttribute("append", true);
        file.add(json
                ? b.newLayout("JsonTemplateLayout").addAttribute("eventTemplateUri", "classpath:EcsLayout.json")
                : b.newLayout("PatternLayout").addAttribute("pattern", "%d{ISO8601} %-5p %-40c{1.} [%t] - %m%n%ex"));
        b.add(file);
        b.add(b.newRootLogger(level).add(b.newAppenderRef("console")).add(b.newAppenderRef("file")));
        // Start-up chatter of the embedded MiniCluster that says nothing about the job.
        b.add(b.newLogger("org.apache.flink.runtime.webmonitor.WebMonitorUtils", Level.ERROR));
        b.add(b.newLogger("org.apache.flink.runtime.security.token", Level.ERROR));
        // FileSink committers (COLD archive) re-register a gauge at every checkpoint; Flink warns each time.
        b.add(b.newLogger("org.apache.flink.metrics.MetricGroup", Level.ERROR));
        // The query source's chain name is longer than a metric name may be; Flink says so at every start.
        b.add(b.newLogger("org.apache.flink.runtime.metrics.util.MetricUtils", Level.ERROR));
        Configurator.reconfigure(b.build());
    }
}
