package io.instructembed.model;

import ai.onnxruntime.OrtException;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.ExceptionsHelper;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.CheckedRunnable;
import org.opensearch.common.util.concurrent.AbstractRunnable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.breaker.CircuitBreakingException;
import org.opensearch.core.rest.RestStatus;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The node-local model service: the only class that decides when models load and where inference
 * runs. Every call is answered through a listener; the work itself runs on the bounded inference
 * pool, never on the caller's (transport, search or write) thread, and a full pool answers with a
 * rejection (HTTP 429). Each model's lifecycle lives in its {@link ModelSlot}; its counters live
 * here, per pack, so they survive unloads and reloads.
 */
public final class ModelService implements EmbeddingService, ModelLifecycleService, Closeable {
    private static final Logger logger = LogManager.getLogger(ModelService.class);
    /** Longest the node's shutdown waits for a running inference call of one model. */
    private static final long CLOSE_WAIT_SECONDS = 10;

    private final PackRegistry packs;
    private final ExecutorService executor;
    private final InferenceConfig config;
    private final SessionOpener sessions;
    private final DevicePlan devices;
    private final QueryEmbeddingCache queryCache;
    private final SchedulerConfig schedulerConfig;
    private final InferenceLimits limits;
    private final ModelMemory memory;
    /** Per pack (a fixed set): the model's place and lifecycle. */
    private final ConcurrentHashMap<String, ModelSlot> slots = new ConcurrentHashMap<>();
    /** Per pack (a fixed set): work totals, kept across loads. */
    private final ConcurrentHashMap<String, ModelCounters> counters = new ConcurrentHashMap<>();
    /** Per pack (a fixed set): ingest totals (chunking, skip_existing), kept across loads. */
    private final ConcurrentHashMap<String, IngestCounters> ingestTotals = new ConcurrentHashMap<>();
    /** Per pack and task (a fixed set): tokens of source text a chunk may hold after the document prompt, learnt at start. */
    private final ChunkBudgets chunkBudgets;
    private volatile boolean closed;

    /**
     * How each loaded model's scheduler drains its queue; the queue limit and batch wait are only
     * the starting values of the service's {@link InferenceLimits}, which may change later.
     */
    public record SchedulerConfig(int workers, int maxQueuedTexts, int maxTextsPerRound, long maxWaitNanos) {
        public SchedulerConfig(int workers, int maxQueuedTexts, int maxTextsPerRound) {
            this(workers, maxQueuedTexts, maxTextsPerRound, 0);
        }
    }

    public ModelService(
        PackRegistry packs,
        ExecutorService executor,
        InferenceConfig config,
        SessionOpener sessions,
        DevicePlan devices,
        QueryEmbeddingCache queryCache,
        SchedulerConfig schedulerConfig
    ) {
        this(packs, executor, config, sessions, devices, queryCache, schedulerConfig, ModelMemory.UNLIMITED);
    }

    public ModelService(
        PackRegistry packs,
        ExecutorService executor,
        InferenceConfig config,
        SessionOpener sessions,
        DevicePlan devices,
        QueryEmbeddingCache queryCache,
        SchedulerConfig schedulerConfig,
        ModelMemory memory
    ) {
        this(packs, executor, config, sessions, devices, queryCache, schedulerConfig, memory, ChunkBudgets.FROM_PACK_FILES);
    }

    /**
     * Learns the chunk budgets of every available pack (one tokenizer load per pack, through
     * {@code tokenizers}): built on the node's start, which may block, so that the cluster-state
     * threads that build pipelines and check mappings never load a file.
     */
    ModelService(
        PackRegistry packs,
        ExecutorService executor,
        InferenceConfig config,
        SessionOpener sessions,
        DevicePlan devices,
        QueryEmbeddingCache queryCache,
        SchedulerConfig schedulerConfig,
        ModelMemory memory,
        ChunkBudgets.TokenizerLoader tokenizers
    ) {
        this.packs = packs;
        this.executor = executor;
        this.config = config;
        this.sessions = sessions;
        this.devices = devices;
        this.queryCache = queryCache;
        this.schedulerConfig = schedulerConfig;
        this.limits = new InferenceLimits(schedulerConfig.maxQueuedTexts(), schedulerConfig.maxWaitNanos());
        this.memory = memory;
        this.chunkBudgets = ChunkBudgets.learn(packs, tokenizers);
    }

    @Override
    public QueryEmbeddingCache queryCache() {
        return queryCache;
    }

    /** The limits that dynamic settings change while the node runs. */
    public InferenceLimits limits() {
        return limits;
    }

    public ModelMemory memory() {
        return memory;
    }

    @Override
    public PackRegistry packs() {
        return packs;
    }

    @Override
    public Optional<ModelPack> pack(String modelId) {
        return packs.get(modelId);
    }

    @Override
    public Set<String> packIds() {
        return packs.ids();
    }

    /**
     * Renders, tokenises and embeds. Bad input (unknown model or task, an instruction on the
     * document side) fails at once on the caller's thread, without queueing.
     */
    @Override
    public void embed(EmbedCall call, ActionListener<List<Embedding>> listener) {
        final List<String> rendered;
        final ModelPack pack;
        try {
            pack = usablePack(call.modelId());
            checkIdentity(pack, call.packIdentity());
            rendered = pack.manifest().render(call.texts(), call.inputType(), call.task(), call.instruction());
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        boolean query = call.inputType() == InputType.QUERY;
        if (query) {
            List<Embedding> cached = new ArrayList<>(rendered.size());
            for (String text : rendered) {
                Embedding hit = queryCache.get(pack.id(), text, true);
                if (hit == null) {
                    break;
                }
                cached.add(hit);
            }
            if (cached.size() == rendered.size()) {
                listener.onResponse(cached);  // every query was cached: no inference, no thread hop
                return;
            }
        }
        ActionListener<List<Embedding>> counted = counted(pack.id(), "embedding", listener);
        ActionListener<List<Embedding>> done = query ? ActionListener.wrap(embeddings -> {
            for (int i = 0; i < rendered.size(); i++) {
                queryCache.put(pack.id(), rendered.get(i), embeddings.get(i));
            }
            counted.onResponse(embeddings);
        }, counted::onFailure) : counted;
        WorkKind kind = query ? WorkKind.QUERY : WorkKind.DOCUMENT;
        slot(pack).submit(new EmbedWork(rendered, kind, done));
    }

    /**
     * Embeds documents, cut into chunks first when asked, and answers each in input order with its
     * pieces or its own error (see {@link DocumentWork}). A call without texts is answered at once,
     * without the model; an unknown model or task fails the whole call before queueing.
     */
    @Override
    public void embedDocuments(DocumentCall call, ActionListener<List<DocumentResult>> listener) {
        if (DocumentWork.nothingToEmbed(call)) {
            listener.onResponse(DocumentWork.empty(call));
            return;
        }
        final ModelPack pack;
        try {
            pack = usablePack(call.modelId());
            checkIdentity(pack, call.packIdentity());
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        ModelSlot slot = slot(pack);
        DocumentWork.Model model = new DocumentWork.Model(pack, slot::submit, limits::maxQueuedTexts, chunkBudgets, ingestTotals(pack.id()), failureCounts(pack.id()));
        DocumentWork.run(model, call, listener);
    }

    /**
     * Tokens of source text one chunk may hold: the pack's max tokens less what its document
     * prompt (or a symmetric task's query prompt) and special tokens take. Learnt for every
     * available pack when the service started; never reads a file, so pipeline factories and
     * mapping checks on cluster-state threads may ask. Empty when not learnt (the pack's tokenizer
     * could not be read at start, or the task is unknown); then chunking finds it itself.
     */
    @Override
    public OptionalInt knownChunkBudget(String modelId, String task) {
        return chunkBudgets.known(usablePack(modelId), task);
    }

    @Override
    public void countSkipExisting(String modelId, int reused, int embedded) {
        // counted where the processor ran, also on a node that has no weights of the pack (other nodes embed for it)
        ingestTotals(packs.get(modelId).orElseThrow().id()).skipExisting(reused, embedded);
    }

    private IngestCounters ingestTotals(String packId) {
        return ingestTotals.computeIfAbsent(packId, id -> new IngestCounters());
    }

    /** The ingest totals of a pack, or null when it has none on this node yet. */
    @Override
    public IngestCounters ingestCountersIfAny(String modelId) {
        return ingestTotals.get(modelId);
    }

    /** A pack's work totals on this node since it started (they survive unloads); modelId must name a pack. */
    @Override
    public ModelCounters counters(String modelId) {
        return counters.computeIfAbsent(modelId, id -> new ModelCounters());
    }

    /**
     * A query's embedding if it is cached (counted as a hit), else null without counting a miss:
     * callers that find nothing go on to {@link #embed}, which counts it.
     */
    @Override
    public Embedding cachedQuery(String modelId, String text, String task, String instruction) {
        ModelPack pack = usablePack(modelId);
        String rendered = pack.manifest().render(List.of(text), InputType.QUERY, task, instruction).get(0);
        return queryCache.get(modelId, rendered, false);
    }

    /**
     * A call routed here for files of one identity runs only on those files: a node whose pack of
     * that id has other files (a rollout in progress) refuses rather than write vectors that would
     * not match the ones its caller checked against.
     */
    private static void checkIdentity(ModelPack pack, String identity) {
        if (identity != null && identity.equals(pack.identity()) == false) {
            throw new OpenSearchStatusException(
                "model [{}] on this node has pack identity [{}], but the call is for pack identity [{}] (the pack's files differ "
                    + "between nodes): it was not run here",
                RestStatus.CONFLICT,
                pack.id(),
                pack.identity(),
                identity
            );
        }
    }

    /** The pack, if it exists and has everything it needs to load; else a 404 or 400 naming why. */
    @Override
    public ModelPack usablePack(String modelId) {
        ModelPack pack = packs.get(modelId)
            .orElseThrow(() -> new ResourceNotFoundException("model [{}] not found; models on this node are {}", modelId, packs.ids()));
        if (pack.state() == PackState.WEIGHTS_MISSING) {
            throw new OpenSearchStatusException(
                "model [{}] has no weights installed: missing {}; put them in [{}]{}",
                RestStatus.BAD_REQUEST,
                modelId,
                pack.missingFiles(),
                packs.paths().display(pack.installDir()),
                pack.manifest().weightsHelp() == null ? "" : " (" + pack.manifest().weightsHelp() + ")"
            );
        }
        if (pack.state() == PackState.INVALID) {
            throw new OpenSearchStatusException("model [{}] has an invalid pack: {}", RestStatus.BAD_REQUEST, modelId, pack.problems());
        }
        return pack;
    }

    /** Loads the pack and waits for it; for tests, which need the model itself. Never call on an inference thread. */
    LoadedModel loaded(ModelPack pack) {
        PlainActionFuture<ModelStatus> future = new PlainActionFuture<>();
        load(pack.id(), future);
        future.actionGet(5, TimeUnit.MINUTES);
        return slot(pack).state().model();
    }

    /** Loads a pack on this node if it is not loaded; answers with its status once it is. Idempotent. */
    @Override
    public void load(String modelId, ActionListener<ModelStatus> listener) {
        ModelPack pack;
        try {
            pack = usablePack(modelId);
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        slot(pack).submit(new TaskWork<>(0, model -> status(modelId), counted(pack.id(), "loading", listener)));
    }

    /**
     * Unloads a model from this node once its queued and running work is done. Work that arrives
     * meanwhile waits and loads the model again when the drain ends. Blocks up to {@code timeout}:
     * call it from a thread that may wait (generic pool).
     */
    @Override
    public ModelStatus unload(String modelId, long timeout, TimeUnit unit) throws InterruptedException {
        packs.get(modelId).orElseThrow(() -> new ResourceNotFoundException("model [{}] not found; models on this node are {}", modelId, packs.ids()));
        ModelSlot slot = slots.get(modelId);
        if (slot != null) {
            if (slot.unload(timeout, unit) == false) {
                throw new OpenSearchStatusException(
                    "model [{}] is still {} after {} {}; try again later",
                    RestStatus.CONFLICT,
                    modelId,
                    slot.state().phase().jsonName(),
                    timeout,
                    unit.name().toLowerCase(java.util.Locale.ROOT)
                );
            }
            queryCache.invalidate(modelId);
        }
        return status(modelId);
    }

    /** Starts loading packs in the background; failures are logged and shown in the model's status. */
    public void preload(List<String> ids) {
        for (String id : ids) {
            ModelPack pack = packs.get(id).orElse(null);
            if (pack == null || pack.state() != PackState.AVAILABLE) {
                logger.warn("cannot preload model [{}]: {}", id, pack == null ? "no such pack" : "pack is " + pack.state().jsonName());
                continue;
            }
            load(id, ActionListener.wrap(status -> {}, e -> logger.warn("preloading model [" + id + "] failed", e)));
        }
    }

    private ModelSlot slot(ModelPack pack) {
        return slots.computeIfAbsent(pack.id(), id -> new ModelSlot(id, new SlotHost(pack), limits::maxQueuedTexts));
    }

    /** Opens models for a slot on the inference pool, and frees them. */
    private final class SlotHost implements ModelSlot.Host {
        private final ModelPack pack;

        SlotHost(ModelPack pack) {
            this.pack = pack;
        }

        @Override
        public void startLoad(ModelSlot slot) {
            if (closed) {
                slot.loadFailed(ModelState.refused("the node is shutting down"), shuttingDown(pack.id()));
                return;
            }
            onInferencePool(() -> slot.loaded(open(pack)), e -> {
                if (ExceptionsHelper.status(e) == RestStatus.TOO_MANY_REQUESTS) {  // breaker or full pool: not a failed load
                    slot.loadFailed(ModelState.refused(e.getMessage()), e);
                } else {
                    // the full error (with the node's paths) goes to the log; callers see paths relative to the node's directories
                    logger.warn("loading model [" + pack.id() + "] failed", e);
                    String reason = packs.paths().redact(String.valueOf(e.getMessage()));
                    slot.loadFailed(
                        ModelState.failed(reason),
                        new OpenSearchStatusException("model [{}] failed to load: {}", RestStatus.INTERNAL_SERVER_ERROR, pack.id(), reason)
                    );
                }
            });
        }

        @Override
        public void release(ModelState unloaded) {
            try {
                unloaded.model().close();
            } finally {
                memory.release(unloaded.reservedBytes());
            }
        }
    }

    /**
     * Opens a pack: reserves its files' size in the circuit breaker first (a refusal is a 429 that
     * names the loaded models), then the tokenizer and the session. Runs on an inference thread.
     */
    private ModelState open(ModelPack pack) throws IOException, OrtException {
        long bytes = fileBytes(pack);
        try {
            memory.reserve(bytes, "model [" + pack.id() + "]");
        } catch (CircuitBreakingException e) {
            throw new CircuitBreakingException(
                e.getMessage() + "; loaded models: " + loadedIds() + "; unload one first or raise instruct_embed.memory.max_model_bytes",
                e.getBytesWanted(),
                e.getByteLimit(),
                e.getDurability()
            );
        }
        long start = System.nanoTime();
        try {
            PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest());
            LoadedModel model;
            try {
                SessionOpener.Opened opened = sessions.open(pack, devices.forPack(pack.id()));
                model = new LoadedModel(pack.manifest(), tokenizer, opened.embedder(), config.planner(), opened.device().toString(), counters(pack.id()));
            } catch (OrtException | RuntimeException e) {
                tokenizer.close();
                throw e;
            }
            BatchScheduler scheduler = new BatchScheduler(
                model,
                executor,
                schedulerConfig.workers(),
                limits,
                schedulerConfig.maxTextsPerRound(),
                config.batchMaxSize(),
                memory
            );
            return ModelState.loaded(model, scheduler, bytes, (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | OrtException | RuntimeException e) {
            memory.release(bytes);
            throw e;
        }
    }

    private List<String> loadedIds() {
        List<String> ids = new ArrayList<>();
        slots.forEach((id, slot) -> {
            if (slot.state().model() != null) {
                ids.add(id);
            }
        });
        return ids;
    }

    /**
     * Runs {@code work} on the inference pool, never on the caller's thread; its failure, or the
     * pool refusing it (a 429), goes to {@code onFailure}.
     */
    private void onInferencePool(CheckedRunnable<Exception> work, Consumer<Exception> onFailure) {
        executor.execute(new AbstractRunnable() {
            @Override
            protected void doRun() throws Exception {
                work.run();
            }

            @Override
            public void onFailure(Exception e) {
                onFailure.accept(e);
            }
        });
    }

    /** Counts a call's failure in the pack's totals and logs server-side failures: see {@link FailureCounts}. */
    private <T> ActionListener<T> counted(String modelId, String what, ActionListener<T> listener) {
        return failureCounts(modelId).counted(what, listener);
    }

    private FailureCounts failureCounts(String modelId) {
        return new FailureCounts(modelId, counters(modelId));
    }

    @Override
    public ModelStatus status(String modelId) {
        ModelSlot slot = slots.get(modelId);
        if (slot == null) {
            return new ModelStatus(modelId, LoadState.NOT_LOADED, null, null, 0);
        }
        ModelState state = slot.state();
        return new ModelStatus(modelId, state.phase(), state.model() == null ? null : state.model().device(), state.error(), state.loadMillis());
    }

    @Override
    public List<ModelStatus> statuses() {
        List<ModelStatus> statuses = new ArrayList<>();
        for (String id : packs.ids()) {
            statuses.add(status(id));
        }
        return statuses;
    }

    /** Texts waiting on this node for the model: in its queue, or for it to be loaded. */
    @Override
    public int queuedTexts(String modelId) {
        ModelSlot slot = slots.get(modelId);
        if (slot == null) {
            return 0;
        }
        BatchScheduler scheduler = slot.state().scheduler();
        return slot.waitingTexts() + (scheduler == null ? 0 : scheduler.queuedTexts());
    }

    /** Fails waiting and queued work (every caller is answered), lets running calls finish (bounded), frees the models. */
    @Override
    public void close() {
        closed = true;
        for (ModelSlot slot : slots.values()) {
            try {
                slot.close(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static OpenSearchStatusException shuttingDown(String modelId) {
        return new OpenSearchStatusException("model [{}] is not available: the node is shutting down", RestStatus.SERVICE_UNAVAILABLE, modelId);
    }

    private static long fileBytes(ModelPack pack) throws IOException {
        long bytes = java.nio.file.Files.size(pack.modelPath());
        for (String data : pack.manifest().externalDataFiles()) {
            bytes += java.nio.file.Files.size(pack.modelDir().resolve(data));
        }
        return bytes;
    }

    /** Texts to embed, handed to the loaded model's scheduler. */
    private record EmbedWork(List<String> rendered, WorkKind kind, ActionListener<List<Embedding>> listener) implements ModelWork {
        @Override
        public int texts() {
            return rendered.size();
        }

        @Override
        public boolean offer(BatchScheduler scheduler) {
            return scheduler.trySubmit(rendered, kind, listener);
        }

        @Override
        public void fail(Exception e) {
            listener.onFailure(e);
        }
    }
}
