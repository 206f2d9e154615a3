package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.limits.TextLimits;
import io.instructembed.model.EmbeddingService;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackManifest;
import io.instructembed.pack.PackState;
import io.instructembed.settings.InstructEmbedSettings;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.ingest.ConfigurationUtils;
import org.opensearch.ingest.Processor;
import org.opensearch.transport.client.Client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * Builds {@code instruct_embedding} processors from pipeline definitions, refusing (HTTP 400) an
 * unknown model or task, an empty field map, or a field mapped to itself.
 */
public final class InstructEmbeddingProcessorFactory implements Processor.Factory {
    private final Supplier<EmbeddingService> models;
    private final Supplier<ClusterService> clusterService;
    private final Supplier<Client> client;

    /** Suppliers: the ingest service asks for factories before plugin components exist. */
    public InstructEmbeddingProcessorFactory(Supplier<EmbeddingService> models, Supplier<ClusterService> clusterService, Supplier<Client> client) {
        this.models = models;
        this.clusterService = clusterService;
        this.client = client;
    }

    @Override
    public InstructEmbeddingProcessor create(
        Map<String, Processor.Factory> registry,
        String tag,
        String description,
        Map<String, Object> config
    ) {
        return create(tag, description, config, false);
    }

    /**
     * @param fingerprinted whether the fingerprint is written even without skip_existing (an
     *                      instruct_text field's write rule reads it)
     */
    InstructEmbeddingProcessor create(String tag, String description, Map<String, Object> config, boolean fingerprinted) {
        String type = InstructEmbeddingProcessor.TYPE;
        String modelId = ConfigurationUtils.readStringProperty(type, tag, config, "model_id");
        Map<String, Object> rawFieldMap = ConfigurationUtils.readMap(type, tag, config, "field_map");
        String task = ConfigurationUtils.readOptionalStringProperty(type, tag, config, "task");
        boolean truncate = ConfigurationUtils.readBooleanProperty(type, tag, config, "truncate", true);
        boolean ignoreMissing = ConfigurationUtils.readBooleanProperty(type, tag, config, "ignore_missing", false);
        Object rawChunking = config.remove("chunking");
        boolean skipExisting = ConfigurationUtils.readBooleanProperty(type, tag, config, "skip_existing", false);

        EmbeddingService service = models.get();
        ModelPack pack = service.pack(modelId).orElse(null);
        if (pack == null) {
            throw ConfigurationUtils.newConfigurationException(type, tag, "model_id", "model [" + modelId + "] not found; models are " + service.packIds());
        }
        PackManifest manifest = pack.manifest();
        if (manifest == null) {
            throw ConfigurationUtils.newConfigurationException(type, tag, "model_id", "model [" + modelId + "] has an invalid pack: " + pack.problems());
        }
        if (task != null && manifest.tasks().containsKey(task) == false) {
            throw ConfigurationUtils.newConfigurationException(type, tag, "task", "model [" + modelId + "] has no task [" + task + "]; its tasks are " + manifest.tasks().keySet());
        }
        if (rawFieldMap.isEmpty()) {
            throw ConfigurationUtils.newConfigurationException(type, tag, "field_map", "must map at least one source field to a target field");
        }
        Map<String, String> fieldMap = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : rawFieldMap.entrySet()) {
            if (entry.getValue() instanceof String target && target.isEmpty() == false && entry.getKey().isEmpty() == false) {
                if (target.equals(entry.getKey())) {
                    throw ConfigurationUtils.newConfigurationException(type, tag, "field_map", "field [" + target + "] is mapped to itself: the vector would overwrite its text");
                }
                fieldMap.put(entry.getKey(), target);
            } else {
                throw ConfigurationUtils.newConfigurationException(type, tag, "field_map", "[" + entry.getKey() + "] must map to a target field name");
            }
        }
        List<String> problems = FieldMapRules.problems(fieldMap);
        if (problems.isEmpty() == false) {
            throw ConfigurationUtils.newConfigurationException(type, tag, "field_map", String.join("; ", problems));
        }
        ChunkingOptions chunking = rawChunking == null ? null : chunking(tag, rawChunking, service, pack, task);
        return new InstructEmbeddingProcessor(
            tag,
            description,
            modelId,
            fieldMap,
            task,
            truncate,
            ignoreMissing,
            manifest.dimensions(),
            chunking,
            () -> clusterService.get().getClusterSettings().get(InstructEmbedSettings.CHUNKING_MAX_CHUNKS),
            skipExisting,
            fingerprinted,
            pack.identity(),
            new EmbeddingFingerprint(manifest, task, chunking),
            client,
            service,
            clusterService.get()
        );
    }

    /** The text limits in force (dynamic cluster settings). */
    TextLimits textLimits() {
        return TextLimits.current(clusterService.get().getClusterSettings());
    }

    /** This node's pack of that id, or null. */
    ModelPack pack(String modelId) {
        return models.get().pack(modelId).orElse(null);
    }

    /**
     * Reads the {@code chunking} object and resolves {@code max_tokens} against what the pack takes
     * after its document prompt (the budget the model service learnt at start with the pack's
     * tokenizer): the default filled in, a larger value refused. Resolved options also give the
     * fingerprint of skip_existing, so that naming the default size explicitly does not re-embed
     * everything. Factories run on cluster-state threads and never load the tokenizer: a pack whose
     * budget is not known (its weights are not installed, or its tokenizer could not be read at
     * start) is checked against its max tokens only; the exact check then runs when its documents
     * are chunked, on the model's thread.
     */
    private static ChunkingOptions chunking(String tag, Object raw, EmbeddingService service, ModelPack pack, String task) {
        String type = InstructEmbeddingProcessor.TYPE;
        try {
            ChunkingOptions options = ChunkingOptions.parse(raw);
            OptionalInt budget = pack.state() == PackState.AVAILABLE ? service.knownChunkBudget(pack.id(), task) : OptionalInt.empty();
            if (budget.isPresent()) {
                return options.resolve(budget.getAsInt(), pack.id());
            }
            options.resolve(pack.manifest().maxTokens(), pack.id());
            return options;
        } catch (IllegalArgumentException e) {
            throw ConfigurationUtils.newConfigurationException(type, tag, "chunking", e.getMessage());
        }
    }
}
