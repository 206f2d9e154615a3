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
    public static final Setting<Integer> BATCH_MAX_TOKENS = Setting.intSetting(PREFIX + "batch.max_tokens", 8192, 16, 1 << 20, Property.NodeScope);

    public static final Setting<Integer> BATCH_MAX_SIZE = Setting.intSetting(PREFIX + "batch.max_size", 32, 1, 4096, Property.NodeScope);

    /** Most texts one {@code _embed} call may carry. */
    public static final Setting<Integer> EMBED_MAX_TEXTS = Setting.intSetting(PREFIX + "embed.max_texts", 256, 1, 100_000, Property.NodeScope);

    public static int defaultPoolSize(Settings settings) {
        return Math.max(1, OpenSearchExecutors.allocatedProcessors(settings) / 2);
    }

    static int defaultIntraOpThreads(Settings settings) {
        // Pool threads x intra-op threads = the node's cores: half the cores run calls in parallel,
        // each call two threads wide. On 2 cores one call uses both (a 200-token text: 73 ms with
        // two threads, 129 ms with one), and parallel calls beat wider ones on bigger nodes.
        int processors = OpenSearchExecutors.allocatedProcessors(settings);
        return Math.max(1, processors / defaultPoolSize(settings));
    }

    public static List<Setting<?>> all() {
        return List.of(PRELOAD_MODELS, INTRA_OP_THREADS, OPTIMIZATION_LEVEL, BATCH_MAX_TOKENS, BATCH_MAX_SIZE, EMBED_MAX_TEXTS);
    }
}
