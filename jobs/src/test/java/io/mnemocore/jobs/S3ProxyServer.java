package io.mnemocore.jobs;

import io.mnemocore.testing.RedisServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * A real S3 API (S3Proxy, in-process) on a free loopback port, objects kept as files under a
 * directory. Used by the tests and by {@code ./mnemocore bench tiers --s3} (which runs on the test
 * classpath for it).
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS = "access";
    public static final String SECRET = "secret";
    private final S3Proxy proxy;

    private S3ProxyServer(S3Proxy proxy) {
        this.proxy = proxy;
    }

    /** Starts it with one bucket. */
    public static S3ProxyServer start(Path dir, String bucket) throws Exception {
        Files.createDirectories(dir.resolve(bucket)); // the filesystem blob store's buckets are its directories
        S3Proxy p = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dir.toString()))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                .endpoint(URI.create("http://127.0.0.1:" + RedisServer.freePort()))
                .build();
        p.start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!"STARTED".equals(p.getState())) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + p.getState());
            }
            Thread.sleep(10);
        }
        return new S3ProxyServer(p);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
