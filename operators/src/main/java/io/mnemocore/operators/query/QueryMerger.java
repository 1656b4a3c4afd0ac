package io.mnemocore.operators.query;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Merges the HOT index subtasks' partial results of a query into the global top-k by Hamming
 * distance. A query whose partial results do not all arrive within the merge timeout goes on with
 * what arrived, and its reply will say so. What comes next (WARM search, rerank, reply) is
 * {@link WarmFallback} and {@link QueryReplies}, chained to this operator.
 *
 * <p>Partials arrive keyed by query_id, but an open merge is held on the heap and checkpointed as
 * operator state, and the timeouts are processing-time callbacks, not keyed timers: a merge lives
 * for milliseconds, and keyed state or timers in RocksDB on the reply path made its native
 * checkpoint (a memtable flush in the synchronous phase) stop every reply for 100–300 ms at each
 * checkpoint ({@code bench query --trace}). The state is a union list: after a rescale each
 * subtask keeps the merges whose query_id's key group it now owns. (A custom partitioner would
 * avoid the idle keyed backend, but Flink refuses unaligned checkpoints with one.)
 */
public final class QueryMerger extends AbstractStreamOperator<MergedQuery>
        implements OneInputStreamOperator<PartialResult, MergedQuery> {
    private static final long serialVersionUID = 1L;

    private final long mergeTimeoutMs;
    private QueryPathPriority priority = QueryPathPriority.NORMAL;
    /** Open merges and answered markers by query_id, in deadline order (insertion order is deadline order). */
    private transient LinkedHashMap<String, Merge> merges;
    private transient ListState<Merge> checkpointed;
    private transient long timerAt;
    /**
     * Timers come at least this far apart (a twentieth of the timeout): every query leaves a
     * deadline, and one timer per deadline meant a wake-up of this task every 2 ms at 500
     * queries/s. A query missing partials is answered at most this much after its timeout.
     */
    private final long timerTickMs;
    private transient long lastFire;
    private transient Counter realtimeSleeps;

    public QueryMerger(long mergeTimeoutMs) {
        this.mergeTimeoutMs = mergeTimeoutMs;
        this.timerTickMs = Math.max(1, mergeTimeoutMs / 20);
    }

    /** How this operator's task thread is scheduled ({@link QueryPathPriority}); normal unless set. */
    public QueryMerger withPriority(QueryPathPriority priority) {
        this.priority = Objects.requireNonNull(priority);
        return this;
    }

    public QueryPathPriority priority() {
        return priority;
    }

    /** The merger subtask that keyBy(query_id) sends a query's partials to. */
    public static int subtaskOf(String queryId, int maxParallelism, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(queryId, maxParallelism, parallelism);
    }

    /**
     * One query's merge: the partials so far combined, how many arrived, and when it times out.
     * {@code received < 0}: already answered; partials that still come are ignored until the deadline.
     */
    public static class Merge {
        public String queryId;
        public PartialResult acc;
        public int received;
        public long deadline;

        public Merge() {}
    }

    @Override
    public void initializeState(StateInitializationContext ctx) throws Exception {
        super.initializeState(ctx);
        merges = new LinkedHashMap<>();
        checkpointed = ctx.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("open-merges", Merge.class));
        if (ctx.isRestored()) {
            int me = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            int n = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
            int max = getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks();
            List<Merge> mine = new ArrayList<>();
            for (Merge m : checkpointed.get()) {
                if (subtaskOf(m.queryId, max, n) == me) {
                    mine.add(m);
                }
            }
            mine.sort(Comparator.comparingLong(m -> m.deadline));
            for (Merge m : mine) {
                merges.put(m.queryId, m);
            }
        }
    }

    @Override
    public void open() throws Exception {
        // The whole chain runs on this thread (the WARM fallback's pool threads take the priority themselves).
        priority.applyFromFirstElement();
        super.open();
        realtimeSleeps = getMetricGroup().counter("haim_realtime_sleeps_total");
        timerAt = Long.MAX_VALUE;
        lastFire = Long.MIN_VALUE / 2;
        scheduleHead(); // restored merges time out as before (processing time went on while the job was down)
    }

    @Override
    public void snapshotState(StateSnapshotContext ctx) throws Exception {
        super.snapshotState(ctx);
        checkpointed.update(new ArrayList<>(merges.values()));
    }

    @Override
    public void processElement(StreamRecord<PartialResult> record) {
        merge(record.getValue());
        // The whole chain (WARM hand-off, rerank, reply) ran for this partial: a real-time thread
        // that has used its share of the core lets the rest of the machine run.
        QueryPathPriority.pace(realtimeSleeps);
    }

    private void merge(PartialResult p) {
        String id = p.query.queryId;
        Merge m = merges.get(id);
        if (m != null && m.received < 0) {
            return; // already answered: a partial that came after the merge timeout
        }
        if (m == null) {
            m = new Merge();
            m.queryId = id;
            m.acc = p;
            m.deadline = getProcessingTimeService().getCurrentProcessingTime() + mergeTimeoutMs;
            merges.put(id, m);
            scheduleHead();
        } else {
            m.acc.hits = kept(m.acc.query, concat(m.acc.hits, p.hits));
            m.acc.scanned += p.scanned;
            m.acc.approximate |= p.approximate;
            if (p.indexEndUs > m.acc.indexEndUs) {
                m.acc.indexStartUs = p.indexStartUs;
                m.acc.indexEndUs = p.indexEndUs;
            }
        }
        m.received++;
        if (m.received >= p.parts) {
            emit(m.acc, null);
            // Done: the marker stays until the deadline, so late partials of a timed-out query stay ignored until then.
            m.acc = null;
            m.received = -1;
        }
    }

    private void onTimer(long now) {
        List<Merge> overdue = new ArrayList<>();
        for (Iterator<Merge> it = merges.values().iterator(); it.hasNext(); ) {
            Merge m = it.next();
            if (m.deadline > now) {
                break;
            }
            it.remove();
            if (m.received >= 0) {
                overdue.add(m);
            }
        }
        for (Merge m : overdue) {
            emit(m.acc, "results of " + (m.acc.parts - m.received) + " of " + m.acc.parts + " HOT index subtasks missing after "
                    + mergeTimeoutMs + " ms");
            // Late partials may still come; remember the answer for one more timeout, then forget.
            m.acc = null;
            m.received = -1;
            m.deadline = now + mergeTimeoutMs;
            merges.put(m.queryId, m); // the latest deadline: the end of the deadline order
        }
        timerAt = Long.MAX_VALUE;
        lastFire = now;
        scheduleHead();
    }

    /** One timer at a time, at the earliest deadline, or a tick after the last one fired. */
    private void scheduleHead() {
        if (merges.isEmpty()) {
            return;
        }
        long at = Math.max(merges.values().iterator().next().deadline, lastFire + timerTickMs);
        if (at < timerAt) {
            timerAt = at;
            getProcessingTimeService().registerTimer(at, this::onTimer);
        }
    }

    /** Open merges and answered markers held now (for tests and the state size). */
    int held() {
        return merges.size();
    }

    private void emit(PartialResult acc, String missing) {
        MergedQuery m = new MergedQuery();
        m.query = acc.query;
        m.hits = kept(acc.query, acc.hits);
        m.scanned = acc.scanned;
        m.approximate = acc.approximate;
        m.missing = missing;
        m.indexStartUs = acc.indexStartUs;
        m.indexEndUs = acc.indexEndUs;
        m.mergedUs = StageClock.nowUs();
        output.collect(new StreamRecord<>(m));
    }

    static Hit[] concat(Hit[] a, Hit[] b) {
        Hit[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * The hits a query keeps: its k nearest. A prediction from history keeps every predicted memory
     * found (their distances are to the prediction, not to a vector, so they do not compete with a
     * search's) and the k nearest of the rest, its top-up by content, which the reply cuts to fit.
     */
    static Hit[] kept(Query q, Hit[] hits) {
        if (!q.predictsFromHistory()) {
            return topK(hits, q.k);
        }
        List<Hit> predicted = new ArrayList<>();
        List<Hit> others = new ArrayList<>();
        List<String> ids = Arrays.asList(q.predicted);
        for (Hit h : hits) {
            (ids.contains(h.memoryId) ? predicted : others).add(h);
        }
        return concat(topK(predicted.toArray(new Hit[0]), predicted.size()), topK(others.toArray(new Hit[0]), q.k));
    }

    /** The k nearest, ties broken by memory id so the merge does not depend on arrival order. */
    static Hit[] topK(Hit[] hits, int k) {
        Hit[] sorted = hits.clone();
        Arrays.sort(sorted, Comparator.<Hit>comparingInt(h -> h.distance).thenComparing(h -> h.memoryId));
        return Arrays.copyOf(sorted, Math.min(k, sorted.length));
    }
}
