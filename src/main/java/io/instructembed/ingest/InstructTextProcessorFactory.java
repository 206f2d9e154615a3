package io.instructembed.ingest;

import io.instructembed.field.InstructTextSpec;
import io.instructembed.field.InstructTextFields;
import io.instructembed.field.WrittenBy;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.ingest.AbstractBatchingSystemProcessor;
import org.opensearch.plugins.IngestPlugin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the system ingest processor of an index from its mapping: one configured
 * {@link InstructEmbeddingProcessor} per {@code instruct_text} field, none (null) for an index
 * without such fields. A field whose configuration no longer works on this node (its pack was
 * removed, or its weights are missing) does not stop the index: its documents fail alone with the
 * reason, and the other fields keep working.
 */
public final class InstructTextProcessorFactory extends AbstractBatchingSystemProcessor.Factory {
    private static final Logger logger = LogManager.getLogger(InstructTextProcessorFactory.class);

    private final InstructEmbeddingProcessorFactory embeddingFactory;

    public InstructTextProcessorFactory(InstructEmbeddingProcessorFactory embeddingFactory) {
        super(InstructTextProcessor.TYPE);
        this.embeddingFactory = embeddingFactory;
    }

    @Override
    protected AbstractBatchingSystemProcessor newProcessor(String tag, String description, Map<String, Object> config) {
        List<InstructTextSpec> fields = InstructTextFields.of(mappingOf(config));
        if (fields.isEmpty()) {
            return null;
        }
        return forFields(tag, fields);
    }

    /** The processor of an index's instruct_text fields (at least one). */
    InstructTextProcessor forFields(String tag, List<InstructTextSpec> fields) {
        List<InstructTextProcessor.Field> processors = new ArrayList<>(fields.size());
        for (InstructTextSpec field : fields) {
            FieldEmbedder embedder;
            try {
                embedder = embedderFor(field);
            } catch (RuntimeException e) {
                logger.warn("instruct_text field [{}] cannot be embedded on this node: {}", field.path(), e.getMessage());
                embedder = new UnusableFieldProcessor(field.path(), e.getMessage());
            }
            processors.add(new InstructTextProcessor.Field(field.path(), field.siblingPath(), embedder));
        }
        return new InstructTextProcessor(tag, "embeds the instruct_text fields " + fields.stream().map(InstructTextSpec::path).toList(), processors,
            embeddingFactory::textLimits);
    }

    /**
     * The embedding processor a field's mapping stands for, built from its spec. A field whose
     * mapping records other pack files than this node's (see {@link WrittenBy}) is refused.
     */
    InstructEmbeddingProcessor embedderFor(InstructTextSpec field) {
        String otherPack = WrittenBy.problem(field, embeddingFactory.pack(field.modelId()));
        if (otherPack != null) {
            throw new IllegalArgumentException(otherPack);
        }
        return embeddingFactory.forField(field);
    }

    /** The mapping source in the system pipeline's config: the index's, or (for an index being created by a write) its templates'. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> mappingOf(Map<String, Object> config) {
        Object mappings = config.get(IngestPlugin.SystemIngestPipelineConfigKeys.INDEX_MAPPINGS);
        if (mappings instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        Object templates = config.get(IngestPlugin.SystemIngestPipelineConfigKeys.INDEX_TEMPLATE_MAPPINGS);
        if (templates instanceof List<?> list) {
            // templates apply in order; later ones win, as when the index is created from them
            Map<String, Object> merged = new LinkedHashMap<>();
            for (Object template : list) {
                Map<String, Object> source = sourceOf(template);
                if (source != null) {
                    XContentHelper.update(merged, source, true);
                }
            }
            return merged;
        }
        return Map.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sourceOf(Object template) {
        // each template's mapping is parsed already, possibly still wrapped in its type
        return template instanceof Map<?, ?> map ? InstructTextFields.unwrapType((Map<String, Object>) map) : null;
    }

}
