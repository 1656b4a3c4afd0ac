package io.mnemocore.operators.tier;

import io.mnemocore.operators.codec.EventType;
import io.mnemocore.operators.codec.MemoryEvent;
import io.mnemocore.operators.ltp.Tier;
import io.mnemocore.operators.ltp.Transition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.StringValue;
import org.apache.flink.util.Collector;

/**
 * The cluster-wide view of the tiers (runs with parallelism 1): per-tier counts for
 * {@code haim_active_memories{tier}}, and an LRU of every HOT memory that enforces
 * {@code tiers.hot.max_memories}. When HOT is over capacity it emits the blueprint's
 * {@code consolidation.trigger} (tier hot_to_warm) for the least recently used memories; those go
 * back through the Subconscious Bus to the consolidator, which demotes them.
 *
 * <p>Evictions come in batches that bring HOT down to 1% below the cap. Because they take that
 * round trip, HOT can exceed the cap briefly, by the memories promoted while an eviction is in
 * flight (typically one sink flush plus one source poll, well under a second of promotions).
 */
public final class TierLedger extends ProcessFunction<Transition, MemoryEvent> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    private final long hotCapacity;
    private final int maxIdsPerTrigger;
    /**
     * HOT memories not yet asked to leave: key (tenant/memory_id) → last use, in use order, so the
     * eldest is the least recently used. Memories whose eviction is in flight move to
     * {@link #evicting}, which keeps finding the next victim O(1).
     */
    private transient LinkedHashMap<String, Long> hotLru;
    private transient HashMap<String, Long> evicting;
    private transient long warm;
    private transient long cold;
    /** The LRU packed into chunks of bytes (see {@link #snapshotState}). */
    private transient ListState<byte[]> lruState;
    private transient ListState<Long> countState;

    /** A chunk of the packed LRU is closed once it holds this many bytes (so it may hold one entry more). */
    static final int CHUNK_BYTES = 1 << 20;

    public TierLedger(long hotCapacity, int maxIdsPerTrigger) {
        this.hotCapacity = hotCapacity;
        this.maxIdsPerTrigger = maxIdsPerTrigger;
    }

    @Override
    public void open(OpenContext ctx) {
        var g = getRuntimeContext().getMetricGroup();
        g.addGroup("tier", "hot").gauge("haim_active_memories", () -> hotCount());
        g.addGroup("tier", "warm").gauge("haim_active_memories", () -> warm);
        g.addGroup("tier", "cold").gauge("haim_active_memories", () -> cold);
        g.gauge("haim_hot_evictions_in_flight", () -> (long) evicting.size());
    }

    @Override
    public void processElement(Transition t, Context ctx, Collector<MemoryEvent> out) {
        String key = t.tenant + "/" + t.memoryId;
        // Leave the old tier.
        if (t.fromTier == Tier.HOT && t.toTier != Tier.HOT) {
            if (hotLru.remove(key) == null) {
                evicting.remove(key);
            }
        } else if (t.fromTier == Tier.WARM && t.toTier != Tier.WARM) {
            warm--;
        } else if (t.fromTier == Tier.COLD && t.toTier != Tier.COLD) {
            cold--;
        }
        // Enter (or touch) the new one.
        if (t.toTier == Tier.HOT) {
            if (evicting.containsKey(key)) {
                evicting.put(key, t.atMs); // its demotion is already on the way
            } else {
                hotLru.remove(key);
                hotLru.put(key, t.atMs);
            }
        } else if (t.toTier == Tier.WARM && t.fromTier != Tier.WARM) {
            warm++;
        } else if (t.toTier == Tier.COLD && t.fromTier != Tier.COLD) {
            cold++;
        }
        evictIfOver(out);
    }

    private void evictIfOver(Collector<MemoryEvent> out) {
        // In-flight evictions already cover the memories in `evicting`. Once over the cap, evict
        // down to 1% below it, so one trigger carries many ids instead of one per new memory.
        if (hotLru.size() <= hotCapacity) {
            return;
        }
        long excess = hotLru.size() - (hotCapacity - Math.max(0, hotCapacity / 100));
        Map<String, List<String>> byTenant = new HashMap<>();
        Iterator<Map.Entry<String, Long>> it = hotLru.entrySet().iterator();
        while (excess > 0 && it.hasNext()) {
            Map.Entry<String, Long> eldest = it.next();
            String key = eldest.getKey();
            evicting.put(key, eldest.getValue());
            it.remove();
            int slash = key.indexOf('/');
            byTenant.computeIfAbsent(key.substring(0, slash), k -> new ArrayList<>()).add(key.substring(slash + 1));
            excess--;
        }
        for (Map.Entry<String, List<String>> e : byTenant.entrySet()) {
            List<String> ids = e.getValue();
            for (int from = 0; from < ids.size(); from += maxIdsPerTrigger) {
                MemoryEvent trig = new MemoryEvent();
                trig.type = EventType.CONSOLIDATION_TRIGGER;
                trig.tenant = e.getKey();
                trig.tier = "hot_to_warm";
                trig.memoryIds = ids.subList(from, Math.min(ids.size(), from + maxIdsPerTrigger)).toArray(new String[0]);
                out.collect(trig);
            }
        }
    }

    /**
     * The LRU goes into a few byte chunks, not one list element per memory: operator list state
     * records every element's offset, and the local file stream then flushes and seeks once per
     * element, so 100,000 HOT memories kept a checkpoint thread busy for ~200 ms of the two cores'
     * time at every checkpoint (async-profiler, {@code bench query --hot 100000}); packed, it is one
     * pass over the map and a few writes.
     */
    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        List<byte[]> chunks = new ArrayList<>();
        DataOutputSerializer out = new DataOutputSerializer(Math.min(CHUNK_BYTES, 64 + 48 * (int) Math.min(hotCount(), 1 << 20)));
        for (Map.Entry<String, Long> e : evicting.entrySet()) {
            pack(out, true, e, chunks);
        }
        for (Map.Entry<String, Long> e : hotLru.entrySet()) {
            pack(out, false, e, chunks);
        }
        if (out.length() > 0) {
            chunks.add(out.getCopyOfBuffer());
        }
        lruState.update(chunks);
        countState.update(List.of(warm, cold));
    }

    private static void pack(DataOutputSerializer out, boolean evicting, Map.Entry<String, Long> e, List<byte[]> chunks) throws IOException {
        out.writeBoolean(evicting);
        out.writeLong(e.getValue());
        StringValue.writeString(e.getKey(), out);
        if (out.length() >= CHUNK_BYTES) {
            chunks.add(out.getCopyOfBuffer());
            out.clear();
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        lruState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("hot-lru-packed", byte[].class));
        countState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("tier-counts", Long.class));
        hotLru = new LinkedHashMap<>();
        evicting = new HashMap<>();
        warm = 0;
        cold = 0;
        if (ctx.isRestored()) {
            // Savepoints before the packed form hold one "[!]lastUse|key" string per memory.
            ListState<String> legacy = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("hot-lru", String.class));
            for (String s : legacy.get()) {
                boolean requested = s.startsWith("!");
                String body = requested ? s.substring(1) : s;
                int bar = body.indexOf('|');
                String key = body.substring(bar + 1);
                (requested ? evicting : hotLru).put(key, Long.parseLong(body.substring(0, bar)));
            }
            legacy.clear();
            for (byte[] chunk : lruState.get()) {
                DataInputDeserializer in = new DataInputDeserializer(chunk);
                while (in.available() > 0) {
                    boolean requested = in.readBoolean();
                    long lastUse = in.readLong();
                    (requested ? evicting : hotLru).put(StringValue.readString(in), lastUse);
                }
            }
            List<Long> counts = new ArrayList<>();
            countState.get().forEach(counts::add);
            if (counts.size() == 2) {
                warm = counts.get(0);
                cold = counts.get(1);
            }
        }
    }

    long hotCount() {
        return hotLru.size() + evicting.size();
    }

    long warmCount() {
        return warm;
    }

    long coldCount() {
        return cold;
    }
}
