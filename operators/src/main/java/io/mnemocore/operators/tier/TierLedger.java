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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private static final Logger LOG = LoggerFactory.getLogger(TierLedger.class);

    private final long hotCapacity;
    private final int maxIdsPerTrigger;
    /**
     * HOT memories not yet asked to leave: key (tenant/memory_id) → last use, in use order, so the
     * eldest is the least recently used. Memories whose eviction is in flight move to
     * {@link #evicting}, which keeps finding the next victim O(1).
     *
     * <p>Access-ordered, with the last use in a one-element array written in place: a touch (an
     * access that keeps a memory HOT, thousands a second under queries) moves the entry and writes a
     * number. Removing and putting it again allocated an entry, a boxed time and a key that all lived
     * until the memory's next use, so every young GC copied them again.
     */
    private transient LinkedHashMap<String, long[]> hotLru;
    private transient HashMap<String, Long> evicting;
    private transient long warm;
    private transient long cold;
    /** The LRU packed into chunks of bytes (see {@link #snapshotState}): a base, then deltas. */
    private transient ListState<byte[]> lruState;
    private transient ListState<byte[]> lruDeltaState;
    private transient ListState<Long> countState;
    /** The chunks of the last full pack, written again unchanged while the deltas after it stay small. */
    private transient List<byte[]> base;
    private transient long baseEntries;
    /** One delta per snapshot since the base, oldest first, each written again unchanged. */
    private transient List<byte[]> deltas;
    private transient long deltaEntries;
    /** Keys changed since the last snapshot, in the order of their last change (an access-ordered map). */
    private transient LinkedHashMap<String, Boolean> changed;

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
            markChanged(key);
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
                long[] lastUse = hotLru.get(key); // moves it to the end
                if (lastUse == null) {
                    hotLru.put(key, new long[] {t.atMs});
                } else {
                    lastUse[0] = t.atMs;
                }
            }
            markChanged(key);
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
        Iterator<Map.Entry<String, long[]>> it = hotLru.entrySet().iterator();
        while (excess > 0 && it.hasNext()) {
            Map.Entry<String, long[]> eldest = it.next();
            String key = eldest.getKey();
            evicting.put(key, eldest.getValue()[0]);
            it.remove();
            markChanged(key);
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

    private void markChanged(String key) {
        changed.put(key, Boolean.TRUE); // access order: a key put again moves to the end
    }

    /**
     * The LRU goes into a few byte chunks, not one list element per memory: operator list state
     * records every element's offset, and the local file stream then flushes and seeks once per
     * element, so 100,000 HOT memories kept a checkpoint thread busy for ~200 ms of the two cores'
     * time at every checkpoint (async-profiler, {@code bench query --hot 100000}).
     *
     * <p>Packing the whole LRU still cost O(HOT) in the task at every checkpoint (61–129 ms at
     * 1,000,000 HOT). So a full pack is kept as the base, and each snapshot packs only the keys
     * changed since the one before into a delta, each key with its state then; base and deltas are
     * written again as they are. Restore applies them in order. The base is packed anew once the
     * deltas hold a quarter as many entries as it, which bounds their bytes and the restore's work:
     * the work a snapshot does stays proportional to the changes (amortized, with the repacks).
     * The bytes written are not: operator state has no incremental checkpoints.
     */
    @Override
    public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
        long start = System.nanoTime();
        int newlyChanged = changed.size();
        boolean repack = (deltaEntries + newlyChanged) * 4L > baseEntries;
        if (repack) {
            base = packAll();
            baseEntries = hotCount();
            deltas = new ArrayList<>();
            deltaEntries = 0;
        } else if (newlyChanged > 0) {
            deltas.addAll(packChanged());
            deltaEntries += newlyChanged;
        }
        changed.clear();
        lruState.update(base);
        lruDeltaState.update(deltas);
        countState.update(List.of(warm, cold));
        if (LOG.isDebugEnabled()) {
            LOG.debug("checkpoint {}: HOT LRU of {}, {} keys changed, {}: base {} entries, deltas {} entries; {} ms",
                    ctx.getCheckpointId(), hotCount(), newlyChanged, repack ? "packed a new base" : "kept the base",
                    baseEntries, deltaEntries, String.format("%.1f", (System.nanoTime() - start) / 1e6));
        }
    }

    private List<byte[]> packAll() throws IOException {
        List<byte[]> chunks = new ArrayList<>();
        DataOutputSerializer out = new DataOutputSerializer(Math.min(CHUNK_BYTES, 64 + 48 * (int) Math.min(hotCount(), 1 << 20)));
        for (Map.Entry<String, Long> e : evicting.entrySet()) {
            pack(out, EVICTING, e.getKey(), e.getValue(), chunks);
        }
        for (Map.Entry<String, long[]> e : hotLru.entrySet()) {
            pack(out, HOT, e.getKey(), e.getValue()[0], chunks);
        }
        if (out.length() > 0) {
            chunks.add(out.getCopyOfBuffer());
        }
        return chunks;
    }

    /** Each changed key with its state now: HOT (re-inserted last, as its last change made it), evicting, or gone. */
    private List<byte[]> packChanged() throws IOException {
        List<byte[]> chunks = new ArrayList<>();
        DataOutputSerializer out = new DataOutputSerializer(Math.min(CHUNK_BYTES, 64 + 48 * changed.size()));
        for (String key : changed.keySet()) {
            // This get moves a HOT key to the end of the access order, which leaves the order as it
            // was: the HOT keys changed since the last snapshot are the LRU's last ones already, in
            // the order of their last change, the order this loop visits them in.
            long[] used = hotLru.get(key);
            if (used != null) {
                pack(out, HOT, key, used[0], chunks);
            } else {
                Long requested = evicting.get(key);
                pack(out, requested == null ? GONE : EVICTING, key, requested == null ? 0 : requested, chunks);
            }
        }
        if (out.length() > 0) {
            chunks.add(out.getCopyOfBuffer());
        }
        return chunks;
    }

    /** Entry states in the packed form; the base holds HOT and EVICTING only (a boolean before deltas existed). */
    private static final byte HOT = 0;
    private static final byte EVICTING = 1;
    private static final byte GONE = 2;

    private static void pack(DataOutputSerializer out, byte state, String key, long lastUse, List<byte[]> chunks) throws IOException {
        out.writeByte(state);
        out.writeLong(lastUse);
        StringValue.writeString(key, out);
        if (out.length() >= CHUNK_BYTES) {
            chunks.add(out.getCopyOfBuffer());
            out.clear();
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext ctx) throws Exception {
        lruState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("hot-lru-packed", byte[].class));
        lruDeltaState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("hot-lru-delta", byte[].class));
        countState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("tier-counts", Long.class));
        hotLru = new LinkedHashMap<>(16, 0.75f, true);
        evicting = new HashMap<>();
        base = new ArrayList<>();
        baseEntries = 0;
        deltas = new ArrayList<>();
        deltaEntries = 0;
        changed = new LinkedHashMap<>(16, 0.75f, true);
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
                long lastUse = Long.parseLong(body.substring(0, bar));
                if (requested) {
                    evicting.put(key, lastUse);
                } else {
                    hotLru.put(key, new long[] {lastUse});
                }
                changed.put(key, Boolean.TRUE); // no base yet: the first snapshot packs them all
            }
            legacy.clear();
            for (byte[] chunk : lruState.get()) {
                base.add(chunk);
                baseEntries += apply(chunk);
            }
            // Each delta holds the keys changed in one checkpoint interval, in the order of their
            // last change; a key HOT in it was used after every key of the base and of the deltas
            // before it that this delta does not name, so moving it to the end keeps the use order.
            for (byte[] chunk : lruDeltaState.get()) {
                deltas.add(chunk);
                deltaEntries += apply(chunk);
            }
            List<Long> counts = new ArrayList<>();
            countState.get().forEach(counts::add);
            if (counts.size() == 2) {
                warm = counts.get(0);
                cold = counts.get(1);
            }
        }
    }

    /** Puts each packed entry of {@code chunk} where its state says, last (or removes it); returns how many. */
    private int apply(byte[] chunk) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(chunk);
        int entries = 0;
        while (in.available() > 0) {
            byte state = in.readByte();
            long lastUse = in.readLong();
            String key = StringValue.readString(in);
            hotLru.remove(key);
            evicting.remove(key);
            if (state == EVICTING) {
                evicting.put(key, lastUse);
            } else if (state == HOT) {
                hotLru.put(key, new long[] {lastUse});
            }
            entries++;
        }
        return entries;
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
