package io.instructembed.ingest;

import io.instructembed.field.InstructTextSpec;
import io.instructembed.limits.TextLimits;
import io.instructembed.model.EmbeddableCheck;
import io.instructembed.model.EmbeddingService;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackManifest;
import io.instructembed.settings.InstructEmbedSettings;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.ingest.Processor;
import org.opensearch.transport.client.Client;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Builds {@code instruct_embedding} processors: from pipeline definitions, whose options
 * {@link EmbeddingOptionsParser} reads, and for {@code instruct_text} fields from their
 * {@link InstructTextSpec}; both then through the same checks of the pack
 * ({@link EmbeddableCheck}) and the same construction. Refuses (HTTP 400) an unknown model or task,
 * chunking the model cannot take, an empty field map, or a field mapped to itself.
 */
public final class InstructEmbeddingProcessorFactory implements Processor.Factory {
    private final Supplier<EmbeddingService> models;
    private final Supplier<ClusterService> clusterService;
    private final Supplier<Client> client;
    private final EmbeddableCheck embeddableCheck;

    /** Suppliers: the ingest service asks for factories before plugin components exist. */
    public InstructEmbeddingProcessorFactory(Supplier<EmbeddingService> models, Supplier<ClusterService> clusterService, Supplier<Client> client) {
        this.models = models;
        this.clusterService = clusterService;
        this.client = client;
        this.embeddableCheck = new EmbeddableCheck(models);
    }

    @Override
    public InstructEmbeddingProcessor create(
        Map<String, Processor.Factory> registry,
        String tag,
        String description,
        Map<String, Object> config
    ) {
        return build(tag, description, EmbeddingOptionsParser.parse(tag, config), false, null);
    }

    /**
     * The processor of an {@code instruct_text} field, built from its spec (no processor config in
     * between). It always writes the fingerprint, which the field's write rule reads, and passes
     * documents without the field: they simply have nothing to embed.
     */
    InstructEmbeddingProcessor forField(InstructTextSpec spec) {
        EmbeddingOptions options = new EmbeddingOptions(
            spec.modelId(),
            Map.of(spec.path(), spec.target()),
            spec.task(),
            EmbeddingOptionsParser.DEFAULT_TRUNCATE,
            true,
            spec.chunking(),
            spec.skipExisting()
        );
        return build(null, "instruct_text field [" + spec.path() + "]", options, true, spec.recordedPack());
    }

    /**
     * @param instructTextField whether the processor is an instruct_text field's: it writes the
     *                          fingerprint even without skip_existing (the field's write rule reads
     *                          it), and its target's writer is recorded in the mapping rather than
     *                          by the pipeline
     * @param recordedPack      the pack identity an instruct_text field's mapping records as its
     *                          vectors' writer: its documents are embedded by those files only
     */
    private InstructEmbeddingProcessor build(
        String tag,
        String description,
        EmbeddingOptions options,
        boolean instructTextField,
        String recordedPack
    ) {
        EmbeddableCheck.Embeddable embeddable;
        try {
            embeddable = embeddableCheck.check(options.modelId(), options.task(), options.chunking());
        } catch (EmbeddableCheck.Refusal refusal) {
            throw EmbeddingOptionsParser.refused(tag, refusal);
        }
        EmbeddingOptions resolved = options.withChunking(embeddable.chunking());
        PackManifest manifest = embeddable.manifest();
        return new InstructEmbeddingProcessor(
            tag,
            description,
            resolved,
            manifest.dimensions(),
            () -> clusterService.get().getClusterSettings().get(InstructEmbedSettings.CHUNKING_MAX_CHUNKS),
            instructTextField,
            recordedPack,
            new EmbeddingFingerprint(manifest, resolved.task(), resolved.chunking()),
            client,
            models.get(),
            clusterService.get()
        );
    }

    /** The text limits in force (dynamic cluster settings). */
    TextLimits textLimits() {
        return TextLimits.current(clusterService.get().getClusterSettings());
    }

    /** This node's pack of that id, or null. */
    ModelPack pack(String modelId) {
        return embeddableCheck.pack(modelId);
    }
}
