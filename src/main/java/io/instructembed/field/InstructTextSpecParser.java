package io.instructembed.field;

import io.instructembed.chunking.ChunkingOptions;
import org.opensearch.index.mapper.MapperParsingException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one reader of an {@code instruct_text} field's declaration (its entry in a mapping's
 * {@code properties}): the mapping transformer, the field mapper, the system ingest processor and
 * {@code instruct_knn} all see the field through what this returns. The field's option names and
 * defaults live here only. Each option is checked for its shape when it is read; what depends on
 * the node (whether the pack, its task and the chunk size work) is checked by
 * {@link io.instructembed.model.EmbeddableCheck}, and the vector's values by k-NN.
 *
 * <p>A refusal names the option in brackets and says why ({@code [chunking] [max_tokens] must be
 * at least 8, got [4]}); {@link #parse} adds the field, as a 400.
 */
public final class InstructTextSpecParser {
    public static final String MODEL_ID = "model_id";
    public static final String TASK = "task";
    public static final String CHUNKING = "chunking";
    public static final String VECTOR = "vector";
    public static final String SKIP_EXISTING = "skip_existing";

    /** Options of {@code vector}: the sub-field's k-NN options (its dimension comes from the model). */
    public static final String SPACE_TYPE = "space_type";
    public static final String METHOD = "method";
    public static final String ENCODER = "encoder";
    static final List<String> VECTOR_OPTIONS = List.of(SPACE_TYPE, METHOD, ENCODER);

    /** Options of {@code vector.method}, k-NN's method object. */
    public static final String METHOD_NAME = "name";
    public static final String ENGINE = "engine";
    public static final String PARAMETERS = "parameters";
    static final List<String> METHOD_OPTIONS = List.of(METHOD_NAME, ENGINE, SPACE_TYPE, PARAMETERS);

    /** The one engine every k-NN build can run (the others need native libraries). */
    public static final String DEFAULT_ENGINE = "lucene";
    static final String DEFAULT_METHOD = "hnsw";
    static final String DEFAULT_SPACE = "cosinesimil";
    static final boolean DEFAULT_SKIP_EXISTING = true;
    /** The vector options of a field that gives none. */
    static final VectorOptions DEFAULT_VECTOR = new VectorOptions(DEFAULT_METHOD, DEFAULT_ENGINE, DEFAULT_SPACE, Map.of());

    private InstructTextSpecParser() {}

    /**
     * The field declared at {@code path} by {@code definition}, or a {@link MapperParsingException}
     * (400) naming the field and the reason. Keys the field mapper owns ({@code type},
     * {@code analyzer}, {@code index}...) are left to it.
     */
    public static InstructTextSpec parse(String path, Map<String, Object> definition) {
        try {
            return new InstructTextSpec(
                path,
                modelId(definition.get(MODEL_ID)),
                task(definition.get(TASK)),
                chunking(definition.get(CHUNKING)),
                vector(definition.get(VECTOR)),
                skipExisting(definition.get(SKIP_EXISTING)),
                null
            );
        } catch (IllegalArgumentException e) {
            throw new MapperParsingException(where(path) + e.getMessage());
        }
    }

    /** How refusals of a field start: {@code field [body] of type [instruct_text]: }. */
    public static String where(String path) {
        return "field [" + path + "] of type [" + InstructTextSpec.CONTENT_TYPE + "]: ";
    }

    /** {@code model_id}: required. */
    public static String modelId(Object value) {
        String modelId = string(MODEL_ID, value);
        if (modelId == null || modelId.isBlank()) {
            throw new IllegalArgumentException("[" + MODEL_ID + "] is required");
        }
        return modelId;
    }

    /** {@code task}: a task of the pack (checked against the pack elsewhere), or null for the pack's default. */
    public static String task(Object value) {
        return string(TASK, value);
    }

    /**
     * {@code chunking}: {@code true} or absent (the default options), {@code false} (off: null),
     * or an object of chunking options.
     */
    public static ChunkingOptions chunking(Object value) {
        if (value == null || Boolean.TRUE.equals(value) || "true".equals(value)) {
            return ChunkingOptions.parse(Map.of());
        }
        if (Boolean.FALSE.equals(value) || "false".equals(value)) {
            return null;
        }
        if (value instanceof Map<?, ?> == false) {
            throw new IllegalArgumentException("[" + CHUNKING + "] must be true, false or an object of chunking options, got [" + value + "]");
        }
        try {
            return ChunkingOptions.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[" + CHUNKING + "] " + e.getMessage(), e);
        }
    }

    /**
     * {@code vector}: the k-NN options {@code space_type}, {@code method} ({@code name},
     * {@code engine}, {@code space_type}, {@code parameters}) and {@code encoder} (placed in the
     * method's parameters), resolved to one method with the defaults filled in.
     */
    @SuppressWarnings("unchecked")
    public static VectorOptions vector(Object value) {
        if (value == null) {
            return DEFAULT_VECTOR;
        }
        if (value instanceof Map<?, ?> == false) {
            throw new IllegalArgumentException("[" + VECTOR + "] must be an object of k-NN options (space_type, method, encoder), got [" + value + "]");
        }
        Map<String, Object> options = (Map<String, Object>) value;
        knownOptions(VECTOR, options, VECTOR_OPTIONS, " (the dimension comes from the model)");
        Object givenMethod = options.get(METHOD);
        if (givenMethod != null && givenMethod instanceof Map<?, ?> == false) {
            throw new IllegalArgumentException("[" + VECTOR + "." + METHOD + "] must be an object (name, engine, parameters), got [" + givenMethod + "]");
        }
        Map<String, Object> method = givenMethod == null ? Map.of() : (Map<String, Object>) givenMethod;
        knownOptions(VECTOR + "." + METHOD, method, METHOD_OPTIONS, "");

        String space = string(VECTOR + "." + SPACE_TYPE, options.get(SPACE_TYPE));
        String methodSpace = string(VECTOR + "." + METHOD + "." + SPACE_TYPE, method.get(SPACE_TYPE));
        if (space != null && methodSpace != null && space.equals(methodSpace) == false) {
            throw new IllegalArgumentException(
                "[" + VECTOR + "." + SPACE_TYPE + "] [" + space + "] and [" + VECTOR + "." + METHOD + "." + SPACE_TYPE + "] [" + methodSpace
                    + "] differ; give one"
            );
        }
        Object givenParameters = method.get(PARAMETERS);
        if (givenParameters != null && givenParameters instanceof Map<?, ?> == false) {
            throw new IllegalArgumentException("[" + VECTOR + "." + METHOD + "." + PARAMETERS + "] must be an object, got [" + givenParameters + "]");
        }
        Map<String, Object> parameters = new LinkedHashMap<>(givenParameters == null ? Map.of() : (Map<String, Object>) givenParameters);
        Object encoder = options.get(ENCODER);
        if (encoder != null) {
            if (encoder instanceof Map<?, ?> == false) {
                throw new IllegalArgumentException("[" + VECTOR + "." + ENCODER + "] must be an object (name, parameters), got [" + encoder + "]");
            }
            if (parameters.containsKey(ENCODER) && encoder.equals(parameters.get(ENCODER)) == false) {
                throw new IllegalArgumentException(
                    "[" + VECTOR + "." + ENCODER + "] and [" + VECTOR + "." + METHOD + "." + PARAMETERS + "." + ENCODER + "] differ; give one"
                );
            }
            parameters.put(ENCODER, encoder);
        }
        String name = string(VECTOR + "." + METHOD + "." + METHOD_NAME, method.get(METHOD_NAME));
        String engine = string(VECTOR + "." + METHOD + "." + ENGINE, method.get(ENGINE));
        return new VectorOptions(
            name == null ? DEFAULT_METHOD : name,
            engine == null ? DEFAULT_ENGINE : engine,
            space != null ? space : methodSpace != null ? methodSpace : DEFAULT_SPACE,
            parameters
        );
    }

    /** {@code skip_existing}: on unless {@code false}. */
    public static boolean skipExisting(Object value) {
        if (value == null) {
            return DEFAULT_SKIP_EXISTING;
        }
        if (value instanceof Boolean || "true".equals(value) || "false".equals(value)) {
            return Boolean.parseBoolean(value.toString());
        }
        throw new IllegalArgumentException("[" + SKIP_EXISTING + "] must be true or false, got [" + value + "]");
    }

    /**
     * {@code chunking} as the field mapper keeps it, after checking it: the mapping shows what the
     * user wrote ({@code {}} stays {@code {}}), not the resolved options.
     */
    static Object writtenChunking(Object value) {
        ChunkingOptions checked = chunking(value);
        return value instanceof Map<?, ?> map ? new LinkedHashMap<>(map) : Boolean.valueOf(checked != null);
    }

    /** {@code vector} as the field mapper keeps it (as written), after checking it. */
    static Map<String, Object> writtenVector(Object value) {
        vector(value);
        return value instanceof Map<?, ?> map ? new LinkedHashMap<>(asStringKeys(map)) : Map.of();
    }

    private static void knownOptions(String option, Map<String, Object> given, List<String> known, String note) {
        Set<String> keys = given.keySet();
        for (String key : keys) {
            if (known.contains(key) == false) {
                throw new IllegalArgumentException(
                    "[" + option + "] has no option [" + key + "]; the options are [" + String.join(", ", known) + "]" + note
                );
            }
        }
    }

    /** A string option: text, or a number or boolean written without quotes; objects and arrays are refused. */
    private static String string(String option, Object value) {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        throw new IllegalArgumentException("[" + option + "] must be a string, got [" + value + "]");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asStringKeys(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }
}
