package io.mnemocore.operators.tier;

import io.mnemocore.operators.ltp.Transition;
import io.mnemocore.operators.ltp.TransitionKind;
import java.util.function.BiConsumer;
import org.apache.flink.util.OutputTag;

/**
 * Which tier store needs a tier update: the consolidator sends each update only to the side outputs
 * of the stores it concerns. (Without object reuse Flink copies a record, 2 KB vector included,
 * for every chained consumer it reaches; most updates, new HOT memories, concern no store here.)
 */
public final class TierRouter {
    /** Memories entering or leaving WARM (the WARM writer). */
    public static final OutputTag<Transition> WARM_UPDATES = new OutputTag<>("warm-updates") {};
    /** WARM→COLD rows with their vectors (the archive's .npy sink). */
    public static final OutputTag<Transition> ARCHIVE_ROWS = new OutputTag<>("archive-rows") {};
    /** Archive rows and tombstones (the archive's sidecar sink). */
    public static final OutputTag<Transition> SIDECAR_ROWS = new OutputTag<>("archive-sidecar-rows") {};
    /** COLD memories used again (the rehydrator). */
    public static final OutputTag<Transition> REACTIVATIONS = new OutputTag<>("reactivations") {};

    private TierRouter() {}

    public static void route(Transition t, BiConsumer<OutputTag<Transition>, Transition> out) {
        if (WarmTierWriter.concernsWarm(t)) {
            out.accept(WARM_UPDATES, t);
        }
        if (ColdArchive.isArchive(t)) {
            out.accept(ARCHIVE_ROWS, t);
            out.accept(SIDECAR_ROWS, t);
        } else if (ColdArchive.isTombstone(t)) {
            out.accept(SIDECAR_ROWS, t);
        }
        if (t.kind == TransitionKind.COLD_REACTIVATION && t.archive != null) {
            out.accept(REACTIVATIONS, t);
        }
    }
}
