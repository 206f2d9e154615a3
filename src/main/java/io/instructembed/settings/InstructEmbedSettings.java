package io.instructembed.settings;

import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Setting.Property;
import org.opensearch.common.util.concurrent.OpenSearchExecutors;
import org.opensearch.common.settings.Settings;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Node settings of the plugin, all under {@code instruct_embed.}. */
public final class InstructEmbedSettings {
    private InstructEmbedSettings() {}

    public static final String PREFIX = "instruct_embed.";
    public static final String INFERENCE_POOL = "instruct_embed_inference";

    /** Packs loaded at node start (in the background: the node does not wait for them). */
    public static final Setting<List<String>> PRELOAD_MODELS = Setting.listSetting(
        PREFIX + "models.preload",
        List.of("bge-small-en-v1.5"),
        Function.identity(),
        Property.NodeScope
    );

    /**
     * Whether only nodes with the {@code embedding} role ever run models. False (the default): nodes
     * with the role serve, and when no node has it every node serves. True: only nodes with the
     * role, and calls fail with a 503 while none is up, so that a CPU node never starts loading a
     * model meant for the GPU nodes. Dynamic: the cluster's nodes follow it at once.
     */
    public static final Setting<Boolean> SERVING_REQUIRE_ROLE = Setting.boolSetting(
        PREFIX + "serving.require_role",
        false,
        Property.NodeScope,
        Property.Dynamic
    );

    /** ONNX Runtime threads inside one inference call. Several calls may run at once (the pool size). */
    public static final Setting<Integer> INTRA_OP_THREADS = new Setting<>(
        PREFIX + "onnx.intra_op_threads",
        s -> Integer.toString(defaultIntraOpThreads(s)),
        v -> Setting.parseInt(v, 1, 256, PREFIX + "onnx.intra_op_threads"),
        Property.NodeScope
    );

    public static final Setting<String> OPTIMIZATION_LEVEL = new Setting<>(
        PREFIX + "onnx.optimization_level",
        "all",
        v -> {
            String level = v.toLowerCase(Locale.ROOT);
            if (List.of("none", "basic", "extended", "all").contains(level) == false) {
                throw new IllegalArgumentException("[" + PREFIX + "onnx.optimization_level] must be one of [none, basic, extended, all], got [" + v + "]");
            }
            return level;
        },
        Property.NodeScope
    );

    /** Padded tokens (rows x longest row) in one inference batch: bounds memory and latency of a call. */
    public static final Setting<Integer> BATCH_MAX_TOKENS = Setting.intSetting(PREFIX + "batch.max_tokens", 4096, 16, 1 << 20, Property.NodeScope);

    /**
     * How long a worker may hold a small batch of documents waiting for more to share the call.
     * 0 (default): never wait; on CPUs the queue fills while a batch runs, so batches grow anyway.
     * Dynamic: applies to the next batch.
     */
    /**
     * Bounded at 1 s: a lone document (a single-document write, the last documents of a bulk)
     * waits this long for others to batch with, so a larger value only ever slows writes down.
     */
    public static final Setting<org.opensearch.common.unit.TimeValue> BATCH_MAX_WAIT = Setting.timeSetting(
        PREFIX + "batch.max_wait",
        org.opensearch.common.unit.TimeValue.ZERO,
        org.opensearch.common.unit.TimeValue.ZERO,
        org.opensearch.common.unit.TimeValue.timeValueSeconds(1),
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * The limit of the {@code instruct_embed} circuit breaker: loaded models' files (graph and
     * external data) plus the estimated activations of running inference calls; 0 = no limit.
     * Dynamic: a lower limit refuses the next load or batch, it never unloads a model.
     */
    public static final Setting<org.opensearch.core.common.unit.ByteSizeValue> MAX_MODEL_BYTES = Setting.byteSizeSetting(
        PREFIX + "memory.max_model_bytes",
        org.opensearch.core.common.unit.ByteSizeValue.ZERO,
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * Texts that may wait in one model's queue on a node (and, separately, for it to be loaded);
     * more are refused with 429. Dynamic: applies to the next call.
     */
    public static final Setting<Integer> QUEUE_MAX_TEXTS = Setting.intSetting(
        PREFIX + "queue.max_texts",
        2048,
        1,
        1_000_000,
        Property.NodeScope,
        Property.Dynamic
    );

    public static final Setting<Integer> BATCH_MAX_SIZE = Setting.intSetting(PREFIX + "batch.max_size", 32, 1, 4096, Property.NodeScope);

    /** Most texts one {@code _embed} call may carry. Dynamic. */
    public static final Setting<Integer> EMBED_MAX_TEXTS = Setting.intSetting(
        PREFIX + "embed.max_texts",
        256,
        1,
        100_000,
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * Bytes of query embeddings kept per node (all models together, each entry weighed by its
     * vector and text: a 4,096-d vector counts 16 KB); 0 turns the cache off. Dynamic.
     */
    public static final Setting<org.opensearch.core.common.unit.ByteSizeValue> QUERY_CACHE_MAX_BYTES = Setting.byteSizeSetting(
        PREFIX + "query_cache.max_bytes",
        new org.opensearch.core.common.unit.ByteSizeValue(16, org.opensearch.core.common.unit.ByteSizeUnit.MB),
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * Replaced by {@link #QUERY_CACHE_MAX_BYTES} (a count cannot bound memory when vectors range
     * from 384 to 4,096 floats). Still accepted so existing configs start: 0 turns the cache off,
     * any other value is ignored with a deprecation warning.
     */
    public static final Setting<Integer> QUERY_CACHE_SIZE = Setting.intSetting(
        PREFIX + "query_cache.size",
        1024,
        0,
        1_000_000,
        Property.NodeScope,
        Property.Deprecated
    );

    /** The query cache's starting limit in bytes, honouring the deprecated count setting's 0. */
    public static long queryCacheBytes(Settings settings) {
        if (QUERY_CACHE_SIZE.exists(settings) && QUERY_CACHE_SIZE.get(settings) == 0) {
            return 0;
        }
        return QUERY_CACHE_MAX_BYTES.get(settings).getBytes();
    }

    /**
     * Most chunks one document may give (all its chunked fields together). A document over it fails
     * alone, with a reason, rather than being indexed with part of its text invisible to search.
     * Dynamic: a cluster setting.
     */
    public static final Setting<Integer> CHUNKING_MAX_CHUNKS = Setting.intSetting(
        PREFIX + "chunking.max_chunks_per_document",
        256,
        1,
        100_000,
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * Characters one text may have in {@code _embed}, {@code v1/embeddings} and an
     * {@code instruct_knn} {@code query_text}: a longer one is refused (400) before it is rendered,
     * cached or tokenised. Tokenising is bounded anyway (a text is cut to what the model can keep);
     * this bounds what one call may make the node hold. Dynamic: a cluster setting.
     */
    public static final Setting<Integer> MAX_TEXT_CHARS = Setting.intSetting(
        PREFIX + "limits.max_text_chars",
        100_000,
        1,
        Integer.MAX_VALUE,
        Property.NodeScope,
        Property.Dynamic
    );

    /** Characters all texts of one {@code _embed} or {@code v1/embeddings} call may have together. Dynamic. */
    public static final Setting<Integer> MAX_REQUEST_CHARS = Setting.intSetting(
        PREFIX + "limits.max_request_chars",
        1_000_000,
        1,
        Integer.MAX_VALUE,
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * Characters of source text one document may give to chunking, all its chunked fields
     * together: every field of one {@code instruct_embedding} processor's field map, or every
     * {@code instruct_text} field of the index (embedded by one system processor, which counts the
     * whole document before any field is embedded). Several processors of one pipeline count each
     * on its own. Chunking tokenises the whole text, so this bounds the cost of one document; one
     * over it fails alone (400, naming each field's share). Texts embedded whole need no such
     * limit: they are cut to what the model keeps before tokenising. Dynamic.
     */
    public static final Setting<Integer> MAX_DOCUMENT_CHARS = Setting.intSetting(
        PREFIX + "limits.max_document_chars",
        1_000_000,
        1,
        Integer.MAX_VALUE,
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * Texts one document may give to be embedded whole (all its fields together, counted as for
     * {@link #MAX_DOCUMENT_CHARS}: one processor's field map, or all the index's
     * {@code instruct_text} fields; an array's entries each counting one), without chunking. A document's texts go to the model in one call
     * and cannot be spread over several, so this bounds the inference one document may cost (on a
     * 2-core CPU, 2,000 short texts are about 11 s). One over it fails alone (400). With chunking,
     * {@link #CHUNKING_MAX_CHUNKS} bounds the chunks instead. Dynamic.
     */
    public static final Setting<Integer> MAX_TEXTS_PER_DOCUMENT = Setting.intSetting(
        PREFIX + "limits.max_texts_per_document",
        256,
        1,
        10_000,
        Property.NodeScope,
        Property.Dynamic
    );

    /** Where models run: auto (CUDA when the GPU runtime starts, else CPU), cpu, cuda or cuda:N. */
    public static final Setting<String> DEVICE = new Setting<>(PREFIX + "device", "auto", v -> {
        DeviceRequest.parse(v);
        return v;
    }, Property.NodeScope);

    /** Per-pack devices, as {@code <pack id>=<device>} entries, e.g. {@code sfr-embedding-mistral=cuda:1}. */
    public static final Setting<List<String>> DEVICE_OVERRIDES = Setting.listSetting(PREFIX + "device_overrides", List.of(), v -> {
        int at = v.indexOf('=');
        if (at <= 0) {
            throw new IllegalArgumentException("[" + PREFIX + "device_overrides] entries are <pack id>=<device>, got [" + v + "]");
        }
        DeviceRequest.parse(v.substring(at + 1));
        return v;
    }, Property.NodeScope);

    /** GPU memory ONNX Runtime's CUDA arena may take per model, 0 for no limit. */
    public static final Setting<org.opensearch.core.common.unit.ByteSizeValue> CUDA_MEMORY_LIMIT = Setting.byteSizeSetting(
        PREFIX + "cuda.memory_limit",
        org.opensearch.core.common.unit.ByteSizeValue.ZERO,
        Property.NodeScope
    );

    /** How the CUDA arena grows: same_as_requested (tight) or next_power_of_two (fewer allocations). */
    public static final Setting<String> CUDA_ARENA_EXTEND_STRATEGY = new Setting<>(PREFIX + "cuda.arena_extend_strategy", "same_as_requested", v -> {
        if (v.equals("same_as_requested") == false && v.equals("next_power_of_two") == false) {
            throw new IllegalArgumentException("[" + PREFIX + "cuda.arena_extend_strategy] must be same_as_requested or next_power_of_two, got [" + v + "]");
        }
        return v;
    }, Property.NodeScope);

    /**
     * At least two inference threads: one is kept for queries, so a query never waits behind an
     * ingest batch (measured on 2 cores: query p99 under bulk ingest 1.8x idle with two, 57x with one).
     */
    public static int defaultPoolSize(Settings settings) {
        return Math.max(2, OpenSearchExecutors.allocatedProcessors(settings) / 2);
    }

    static int defaultIntraOpThreads(Settings settings) {
        // The document workers (all but the query worker) together span the node's cores; the
        // query worker briefly oversubscribes them when both run. On 2 cores: two threads per call
        // (a 200-token text: 73 ms with two threads, 129 ms with one).
        int processors = OpenSearchExecutors.allocatedProcessors(settings);
        return Math.max(1, processors / Math.max(1, defaultPoolSize(settings) - 1));
    }

    public static List<Setting<?>> all() {
        return List.of(PRELOAD_MODELS, INTRA_OP_THREADS, OPTIMIZATION_LEVEL, BATCH_MAX_TOKENS, BATCH_MAX_SIZE, EMBED_MAX_TEXTS, QUERY_CACHE_SIZE, QUERY_CACHE_MAX_BYTES, QUEUE_MAX_TEXTS, BATCH_MAX_WAIT, MAX_MODEL_BYTES, DEVICE, DEVICE_OVERRIDES,
            CUDA_MEMORY_LIMIT, CUDA_ARENA_EXTEND_STRATEGY, CHUNKING_MAX_CHUNKS, MAX_TEXT_CHARS, MAX_REQUEST_CHARS, MAX_DOCUMENT_CHARS,
            MAX_TEXTS_PER_DOCUMENT, SERVING_REQUIRE_ROLE);
    }
}
