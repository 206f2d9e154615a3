package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.model.EmbeddableCheck;
import org.opensearch.OpenSearchException;
import org.opensearch.ingest.ConfigurationUtils;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one reader of an {@code instruct_embedding} processor's config: its option names and
 * defaults live here only. Refusals are the ingest service's configuration errors (a 400 with the
 * processor's type, tag and the option's name as {@code property_name}). What depends on the
 * node's packs (model, task, chunk size) is checked next by {@link EmbeddableCheck}.
 */
public final class EmbeddingOptionsParser {
    public static final String MODEL_ID = "model_id";
    public static final String FIELD_MAP = "field_map";
    public static final String TASK = "task";
    public static final String TRUNCATE = "truncate";
    public static final String IGNORE_MISSING = "ignore_missing";
    public static final String CHUNKING = "chunking";
    public static final String SKIP_EXISTING = "skip_existing";

    static final boolean DEFAULT_TRUNCATE = true;
    static final boolean DEFAULT_IGNORE_MISSING = false;
    static final boolean DEFAULT_SKIP_EXISTING = false;

    private static final String TYPE = InstructEmbeddingProcessor.TYPE;

    private EmbeddingOptionsParser() {}

    /** Reads (and removes, as the ingest service expects) the processor's options from {@code config}. */
    public static EmbeddingOptions parse(String tag, Map<String, Object> config) {
        String modelId = ConfigurationUtils.readStringProperty(TYPE, tag, config, MODEL_ID);
        Map<String, Object> rawFieldMap = ConfigurationUtils.readMap(TYPE, tag, config, FIELD_MAP);
        String task = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, TASK);
        boolean truncate = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, TRUNCATE, DEFAULT_TRUNCATE);
        boolean ignoreMissing = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, IGNORE_MISSING, DEFAULT_IGNORE_MISSING);
        Object rawChunking = config.remove(CHUNKING);
        boolean skipExisting = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, SKIP_EXISTING, DEFAULT_SKIP_EXISTING);
        return new EmbeddingOptions(
            modelId,
            fieldMap(tag, rawFieldMap),
            task,
            truncate,
            ignoreMissing,
            rawChunking == null ? null : chunking(tag, rawChunking),
            skipExisting
        );
    }

    /** A refusal of the pack check, as a configuration error of the option it is about. */
    static OpenSearchException refused(String tag, EmbeddableCheck.Refusal refusal) {
        String option = switch (refusal.subject()) {
            case MODEL -> MODEL_ID;
            case TASK -> TASK;
            case CHUNKING -> CHUNKING;
        };
        return ConfigurationUtils.newConfigurationException(TYPE, tag, option, refusal.getMessage());
    }

    private static Map<String, String> fieldMap(String tag, Map<String, Object> raw) {
        if (raw.isEmpty()) {
            throw ConfigurationUtils.newConfigurationException(TYPE, tag, FIELD_MAP, "must map at least one source field to a target field");
        }
        Map<String, String> fieldMap = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : raw.entrySet()) {
            if (entry.getValue() instanceof String target && target.isEmpty() == false && entry.getKey().isEmpty() == false) {
                if (target.equals(entry.getKey())) {
                    throw ConfigurationUtils.newConfigurationException(
                        TYPE,
                        tag,
                        FIELD_MAP,
                        "field [" + target + "] is mapped to itself: the vector would overwrite its text"
                    );
                }
                fieldMap.put(entry.getKey(), target);
            } else {
                throw ConfigurationUtils.newConfigurationException(TYPE, tag, FIELD_MAP, "[" + entry.getKey() + "] must map to a target field name");
            }
        }
        List<String> problems = FieldMapRules.problems(fieldMap);
        if (problems.isEmpty() == false) {
            throw ConfigurationUtils.newConfigurationException(TYPE, tag, FIELD_MAP, String.join("; ", problems));
        }
        return fieldMap;
    }

    private static ChunkingOptions chunking(String tag, Object raw) {
        try {
            return ChunkingOptions.parse(raw);
        } catch (IllegalArgumentException e) {
            throw ConfigurationUtils.newConfigurationException(TYPE, tag, CHUNKING, e.getMessage());
        }
    }
}
