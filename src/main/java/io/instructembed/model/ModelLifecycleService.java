package io.instructembed.model;

import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import org.opensearch.core.action.ActionListener;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the model management actions (load, unload, GET models, stats) ask of this node's models:
 * their lifecycle and their totals, as values; never the loaded models themselves.
 */
public interface ModelLifecycleService {

    /** Loads a pack on this node if it is not loaded; answers with its status once it is. */
    void load(String modelId, ActionListener<ModelStatus> listener);

    /** Unloads once queued and running work is done; blocks up to {@code timeout} (call from a thread that may wait). */
    ModelStatus unload(String modelId, long timeout, TimeUnit unit) throws InterruptedException;

    /** The pack, if it exists and has everything it needs to load; else a 404 or 400 naming why. */
    ModelPack usablePack(String modelId);

    PackRegistry packs();

    ModelStatus status(String modelId);

    /** Every pack's status on this node. */
    List<ModelStatus> statuses();

    /** A pack's work totals on this node since it started (they survive unloads). */
    ModelCounters counters(String modelId);

    /** The ingest totals of a pack, or null when it has none on this node yet. */
    IngestCounters ingestCountersIfAny(String modelId);

    /** Texts waiting on this node for the model: in its queue, or for it to be loaded. */
    int queuedTexts(String modelId);

    QueryEmbeddingCache queryCache();
}
