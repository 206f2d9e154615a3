package io.instructembed.model;

import ai.onnxruntime.OrtException;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.chunking.TextChunker;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.common.CheckedRunnable;
import org.opensearch.common.util.concurrent.AbstractRunnable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.rest.RestStatus;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * The node-local model service: the only class that decides when models load and where inference
 * runs. Every call is answered through a listener; the work itself runs on the bounded inference
 * pool, never on the caller's (transport, search or write) thread, and a full pool answers with a
 * rejection (HTTP 429).
 */
public final class ModelService implements Closeable {
    private static final Logger logger = LogManager.getLogger(ModelService.class);

    private final PackRegistry packs;
    private final ExecutorService executor;
    private final InferenceConfig config;
    private final SessionOpener sessions;
    private final DevicePlan devices;
    private final ConcurrentHashMap<String, ModelSlot> slots = new ConcurrentHashMap<>();
    private final QueryVectorCache queryCache;
    private final SchedulerConfig schedulerConfig;
    /** Per pack (a fixed set): ingest totals (chunking, skip_existing), kept across loads. */
    private final ConcurrentHashMap<String, IngestCounters> ingestTotals = new ConcurrentHashMap<>();
    /** Per pack and task (a fixed set): tokens of source text a chunk may hold after the document prompt. */
    private final ConcurrentHashMap<String, Integer> chunkBudgets = new ConcurrentHashMap<>();

    /** How each loaded model's scheduler drains its queue. */
    public record SchedulerConfig(int workers, int maxQueuedTexts, int maxTextsPerRound, long maxWaitNanos, long maxModelBytes) {
        public SchedulerConfig(int workers, int maxQueuedTexts, int maxTextsPerRound) {
            this(workers, maxQueuedTexts, maxTextsPerRound, 0, 0);
        }
    }

    public ModelService(
        PackRegistry packs,
        ExecutorService executor,
        InferenceConfig config,
        SessionOpener sessions,
        DevicePlan devices,
        QueryVectorCache queryCache,
        SchedulerConfig schedulerConfig
    ) {
        this.packs = packs;
        this.executor = executor;
        this.config = config;
        this.sessions = sessions;
        this.devices = devices;
        this.queryCache = queryCache;
        this.schedulerConfig = schedulerConfig;
    }

    public QueryVectorCache queryCache() {
        return queryCache;
    }

    public PackRegistry packs() {
        return packs;
    }

    /** What to embed: texts of one model, one side, one task or instruction. */
    public record EmbedCall(String modelId, List<String> texts, InputType inputType, String task, String instruction) {}

    /**
     * Renders, tokenises and embeds. Bad input (unknown model or task, an instruction on the
     * document side) fails at once on the caller's thread, without queueing.
     */
    public void embed(EmbedCall call, ActionListener<List<Embedding>> listener) {
        final List<String> rendered;
        final ModelPack pack;
        try {
            pack = usablePack(call.modelId());
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
        ActionListener<List<Embedding>> done = query ? ActionListener.wrap(embeddings -> {
            for (int i = 0; i < rendered.size(); i++) {
                queryCache.put(pack.id(), rendered.get(i), embeddings.get(i));
            }
            listener.onResponse(embeddings);
        }, listener::onFailure) : listener;
        WorkKind kind = query ? WorkKind.QUERY : WorkKind.DOCUMENT;
        ModelSlot slot = slots.computeIfAbsent(pack.id(), id -> new ModelSlot());
        BatchScheduler scheduler = slot.scheduler;
        if (scheduler != null) {
            scheduler.submit(rendered, kind, done);
            return;
        }
        // not loaded yet: load on the inference pool (never on the caller's thread), then queue
        onInferencePool(() -> {
            loaded(pack);
            slot.scheduler.submit(rendered, kind, done);
        }, done::onFailure);
    }

    /** Source texts of one model to cut into chunks, with the document-side task (null: the document prompt). */
    public record ChunkCall(String modelId, List<String> texts, String task, ChunkingOptions chunking) {}

    /**
     * Cuts each text into chunks that fit the model whole with its document prompt, counting tokens
     * with the pack's own tokenizer. Runs on the inference pool (tokenising a long text is real
     * work), loading the model first if needed; answers with each text's chunks, in order.
     */
    public void chunk(ChunkCall call, ActionListener<List<List<TextChunker.Chunk>>> listener) {
        final ModelPack pack;
        try {
            pack = usablePack(call.modelId());
            renderDocument(pack, "", call.task());  // an unknown task fails here, before queueing
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        onInferencePool(() -> {
            LoadedModel model = loaded(pack);
            ChunkingOptions options = call.chunking().resolve(chunkBudget(pack, call.task(), model::tokenize), pack.id());
            List<List<TextChunker.Chunk>> chunks = new ArrayList<>(call.texts().size());
            for (String text : call.texts()) {
                TextChunker.Fit fit = (start, end) -> model.tokenize(renderDocument(pack, text.substring(start, end), call.task())).truncated() == false;
                chunks.add(TextChunker.chunk(text, model.spans(text), options, fit));
            }
            listener.onResponse(chunks);
        }, listener::onFailure);
    }

    /**
     * Tokens of source text one chunk may hold: the pack's max tokens less what its document
     * prompt (or a symmetric task's query prompt) and special tokens take. Needs the pack's
     * tokenizer: the loaded model's, or one opened for the question when the model is not loaded.
     */
    public int chunkBudget(String modelId, String task) throws IOException {
        ModelPack pack = usablePack(modelId);
        LoadedModel model = loadedModel(modelId);
        if (model != null) {
            return chunkBudget(pack, task, model::tokenize);
        }
        Integer known = chunkBudgets.get(budgetKey(pack, task));
        if (known != null) {
            return known;
        }
        try (PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest())) {
            return chunkBudget(pack, task, tokenizer::tokenize);
        }
    }

    private int chunkBudget(ModelPack pack, String task, java.util.function.Function<String, TokenizedText> tokenizer) {
        return chunkBudgets.computeIfAbsent(budgetKey(pack, task), key -> {
            int promptTokens = tokenizer.apply(renderDocument(pack, "", task)).length();
            return Math.max(1, pack.manifest().maxTokens() - promptTokens);
        });
    }

    private static String budgetKey(ModelPack pack, String task) {
        return pack.id() + '\u0000' + task;
    }

    private static String renderDocument(ModelPack pack, String text, String task) {
        return pack.manifest().render(List.of(text), InputType.DOCUMENT, task, null).get(0);
    }

    /** The ingest totals of a pack on this node. */
    public IngestCounters ingestCounters(String modelId) {
        return ingestTotals.computeIfAbsent(usablePack(modelId).id(), id -> new IngestCounters());
    }

    /** The ingest totals of a pack, or null when it has none on this node yet. */
    public IngestCounters ingestCountersIfAny(String modelId) {
        return ingestTotals.get(modelId);
    }

    /**
     * A query's embedding if it is cached (counted as a hit), else null without counting a miss:
     * callers that find nothing go on to {@link #embed}, which counts it.
     */
    public Embedding cachedQuery(String modelId, String text, String task, String instruction) {
        ModelPack pack = usablePack(modelId);
        String rendered = pack.manifest().render(List.of(text), InputType.QUERY, task, instruction).get(0);
        return queryCache.get(modelId, rendered, false);
    }

    /** The pack, if it exists and has everything it needs to load; else a 404 or 400 naming why. */
    public ModelPack usablePack(String modelId) {
        ModelPack pack = packs.get(modelId)
            .orElseThrow(() -> new ResourceNotFoundException("model [{}] not found; models on this node are {}", modelId, packs.ids()));
        if (pack.state() == PackState.WEIGHTS_MISSING) {
            throw new OpenSearchStatusException(
                "model [{}] has no weights installed: missing {}; put them in [{}]{}",
                RestStatus.BAD_REQUEST,
                modelId,
                pack.missingFiles(),
                pack.installDir(),
                pack.manifest().weightsHelp() == null ? "" : " (" + pack.manifest().weightsHelp() + ")"
            );
        }
        if (pack.state() == PackState.INVALID) {
            throw new OpenSearchStatusException("model [{}] has an invalid pack: {}", RestStatus.BAD_REQUEST, modelId, pack.problems());
        }
        return pack;
    }

    /** Loads the pack on this thread if it is not loaded yet. Call only on inference threads. */
    LoadedModel loaded(ModelPack pack) throws IOException, OrtException {
        ModelSlot slot = slots.computeIfAbsent(pack.id(), id -> new ModelSlot());
        if (slot.model == null) {
            checkMemory(pack);  // a refusal is not a failed load: the model stays not_loaded
        }
        return slot.get(pack, () -> load(pack));
    }

    /** Loads a pack on this node if it is not loaded; answers with its status. Idempotent. */
    public void load(String modelId, ActionListener<ModelStatus> listener) {
        ModelPack pack;
        try {
            pack = usablePack(modelId);
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        onInferencePool(() -> {
            loaded(pack);
            listener.onResponse(status(modelId));
        }, listener::onFailure);
    }

    /**
     * Unloads a model from this node once its queued and running work is done (new work is refused
     * meanwhile). Blocks up to {@code timeout}: call it from a thread that may wait (generic pool).
     */
    public ModelStatus unload(String modelId, long timeout, java.util.concurrent.TimeUnit unit) throws InterruptedException {
        packs.get(modelId).orElseThrow(() -> new ResourceNotFoundException("model [{}] not found; models on this node are {}", modelId, packs.ids()));
        ModelSlot slot = slots.get(modelId);
        if (slot != null) {
            slot.unload(timeout, unit);
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
            onInferencePool(() -> loaded(pack), e -> logger.warn("preloading model [" + id + "] failed", e));
        }
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

    public ModelStatus status(String modelId) {
        ModelSlot slot = slots.get(modelId);
        return slot == null ? new ModelStatus(modelId, LoadState.NOT_LOADED, null, null, 0) : slot.status(modelId);
    }

    public List<ModelStatus> statuses() {
        List<ModelStatus> statuses = new ArrayList<>();
        for (String id : packs.ids()) {
            statuses.add(status(id));
        }
        return statuses;
    }

    /** Texts waiting in the model's queue on this node. */
    public int queuedTexts(String modelId) {
        ModelSlot slot = slots.get(modelId);
        BatchScheduler scheduler = slot == null ? null : slot.scheduler();
        return scheduler == null ? 0 : scheduler.queuedTexts();
    }

    /** The loaded model, if loaded on this node; for stats and tests. */
    public LoadedModel loadedModel(String modelId) {
        ModelSlot slot = slots.get(modelId);
        return slot == null ? null : slot.model;
    }

    @Override
    public void close() {
        for (ModelSlot slot : slots.values()) {
            slot.close();
        }
        slots.clear();
    }

    private LoadedModel load(ModelPack pack) throws IOException, OrtException {
        PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest());
        try {
            SessionOpener.Opened opened = sessions.open(pack, devices.forPack(pack.id()));
            return new LoadedModel(pack.manifest(), tokenizer, opened.embedder(), config.planner(), opened.device().toString());
        } catch (OrtException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /** The memory guard: refuse (429, like OpenSearch's circuit breakers) a load over the limit. */
    private void checkMemory(ModelPack pack) throws IOException {
        long limit = schedulerConfig.maxModelBytes();
        if (limit <= 0) {
            return;
        }
        long needed = fileBytes(pack);
        long used = 0;
        List<String> loadedIds = new ArrayList<>();
        for (Map.Entry<String, ModelSlot> entry : slots.entrySet()) {
            if (entry.getValue().model != null && entry.getKey().equals(pack.id()) == false) {
                used += fileBytes(packs.get(entry.getKey()).orElseThrow());
                loadedIds.add(entry.getKey());
            }
        }
        if (used + needed > limit) {
            throw new OpenSearchStatusException(
                "model [{}] needs {} MB, but instruct_embed.memory.max_model_bytes is {} MB and {} MB are taken by {}: unload a model first",
                RestStatus.TOO_MANY_REQUESTS,
                pack.id(),
                needed >> 20,
                limit >> 20,
                used >> 20,
                loadedIds
            );
        }
    }

    private static long fileBytes(ModelPack pack) throws IOException {
        long bytes = java.nio.file.Files.size(pack.modelPath());
        for (String data : pack.manifest().externalDataFiles()) {
            bytes += java.nio.file.Files.size(pack.modelDir().resolve(data));
        }
        return bytes;
    }

    private interface Loader {
        LoadedModel load() throws IOException, OrtException;
    }

    /** One model's place on this node; loads at most once at a time. */
    private final class ModelSlot {
        private volatile LoadedModel model;
        private volatile BatchScheduler scheduler;
        private volatile LoadState state = LoadState.NOT_LOADED;
        private volatile String error;
        private volatile long loadMillis;

        LoadedModel get(ModelPack pack, Loader loader) throws IOException, OrtException {
            LoadedModel current = model;
            if (current != null) {
                return current;
            }
            synchronized (this) {
                if (model != null) {
                    return model;
                }
                state = LoadState.LOADING;
                long start = System.nanoTime();
                try {
                    LoadedModel fresh = loader.load();
                    scheduler = new BatchScheduler(
                        fresh,
                        executor,
                        schedulerConfig.workers(),
                        schedulerConfig.maxQueuedTexts(),
                        schedulerConfig.maxTextsPerRound(),
                        schedulerConfig.maxWaitNanos(),
                        config.batchMaxSize()
                    );
                    model = fresh;
                    loadMillis = (System.nanoTime() - start) / 1_000_000;
                    error = null;
                    state = LoadState.LOADED;
                    logger.info("loaded model [{}] on {} in {} ms", pack.id(), model.device(), loadMillis);
                    return model;
                } catch (IOException | OrtException | RuntimeException e) {
                    state = LoadState.FAILED;
                    error = e.getMessage();
                    logger.warn("loading model [" + pack.id() + "] failed", e);
                    throw new OpenSearchStatusException("model [{}] failed to load: {}", RestStatus.INTERNAL_SERVER_ERROR, e, pack.id(), e.getMessage());
                }
            }
        }

        ModelStatus status(String id) {
            LoadedModel current = model;
            return new ModelStatus(id, state, current == null ? null : current.device(), error, loadMillis);
        }

        synchronized void close() {
            if (model != null) {
                model.close();
                model = null;
                scheduler = null;
                state = LoadState.NOT_LOADED;
            }
        }

        void unload(long timeout, java.util.concurrent.TimeUnit unit) throws InterruptedException {
            BatchScheduler draining = scheduler;
            if (draining == null) {
                return;
            }
            synchronized (this) {
                scheduler = null;  // new calls load a fresh copy rather than queue behind the unload
            }
            if (draining.closeAndDrain(timeout, unit) == false) {
                logger.warn("model [{}] still had work after {} {}; unloading anyway", draining, timeout, unit);
            }
            close();
        }

        BatchScheduler scheduler() {
            return scheduler;
        }
    }
}
