package io.instructembed.ingest;

import io.instructembed.field.InstructTextField;
import io.instructembed.field.InstructTextFields;
import io.instructembed.field.WrittenBy;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.ingest.AbstractBatchingSystemProcessor;
import org.opensearch.plugins.IngestPlugin;

import java.util.ArrayList;
import java.util.HashMap;
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
        List<InstructTextField> fields = InstructTextFields.of(mappingOf(config));
        if (fields.isEmpty()) {
            return null;
        }
        return forFields(tag, fields);
    }

    /** The processor of an index's instruct_text fields (at least one). */
    InstructTextProcessor forFields(String tag, List<InstructTextField> fields) {
        List<InstructTextProcessor.Field> processors = new ArrayList<>(fields.size());
        for (InstructTextField field : fields) {
            FieldEmbedder embedder;
            try {
                embedder = embedderFor(field);
            } catch (RuntimeException e) {
                logger.warn("instruct_text field [{}] cannot be embedded on this node: {}", field.path(), e.getMessage());
                embedder = new UnusableFieldProcessor(field.path(), e.getMessage());
            }
            processors.add(new InstructTextProcessor.Field(field.path(), field.siblingPath(), embedder));
        }
        return new InstructTextProcessor(tag, "embeds the instruct_text fields " + fields.stream().map(InstructTextField::path).toList(), processors,
            embeddingFactory::textLimits);
    }

    /**
     * The embedding processor a field's mapping stands for. Also how the mapping transformer checks
     * a new field: what this refuses (unknown model or task, bad chunking) is a 400 at mapping time.
     */
    public InstructEmbeddingProcessor embedderFor(InstructTextField field) {
        String otherPack = WrittenBy.problem(field, embeddingFactory.pack(field.modelId()));
        if (otherPack != null) {
            throw new IllegalArgumentException(otherPack);
        }
        Map<String, Object> config = new HashMap<>();
        config.put("model_id", field.modelId());
        config.put("field_map", new LinkedHashMap<>(Map.of(field.path(), field.target())));
        if (field.task() != null) {
            config.put("task", field.task());
        }
        if (field.chunked()) {
            config.put("chunking", new LinkedHashMap<>(field.chunking()));
        }
        config.put("skip_existing", field.skipExisting());
        // a document without the field, or with null, simply has nothing to embed
        config.put("ignore_missing", true);
        return embeddingFactory.create(null, "instruct_text field [" + field.path() + "]", config, true);
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
