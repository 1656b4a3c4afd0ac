package io.mnemocore.operators.redis;

import java.io.Serializable;
import java.net.URI;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.util.JedisURIHelper;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;

/**
 * Where and how to reach Redis: the URL carries AUTH ({@code redis://user:password@host:port/db})
 * and TLS ({@code rediss://}); the pool size and socket timeout come from {@code haim.redis.*}.
 */
public final class RedisConnectionConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String url;
    private final int maxConnections;
    private final int socketTimeoutMs;

    public RedisConnectionConfig(String url, int maxConnections, int socketTimeoutMs) {
        URI uri = URI.create(url);
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("invalid Redis URL '" + url + "'");
        }
        this.url = url;
        this.maxConnections = maxConnections;
        this.socketTimeoutMs = socketTimeoutMs;
    }

    public String url() {
        return url;
    }

    public int socketTimeoutMs() {
        return socketTimeoutMs;
    }

    /** A pooled, thread-safe client. Callers close it. */
    public JedisPooled createClient() {
        URI uri = URI.create(url);
        DefaultJedisClientConfig.Builder cfg = DefaultJedisClientConfig.builder()
                .socketTimeoutMillis(socketTimeoutMs)
                .connectionTimeoutMillis(socketTimeoutMs)
                .database(JedisURIHelper.getDBIndex(uri))
                .ssl(JedisURIHelper.isRedisSSLScheme(uri));
        String user = JedisURIHelper.getUser(uri);
        String password = JedisURIHelper.getPassword(uri);
        if (user != null) {
            cfg.user(user);
        }
        if (password != null) {
            cfg.password(password);
        }
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(maxConnections);
        pool.setMaxIdle(maxConnections);
        pool.setTestOnBorrow(false);
        pool.setJmxEnabled(false);
        return new JedisPooled(pool, new HostAndPort(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 6379), cfg.build());
    }

    @Override
    public String toString() {
        // Never print the password.
        return url.replaceAll("//[^@/]*@", "//***@");
    }
}
