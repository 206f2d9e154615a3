package io.instructembed.field;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the {@code instruct_text} fields of a mapping source (the JSON of a mapping, as a map):
 * what the mapping transformer, the system ingest processor, the query and the response filter
 * all read. Object fields are walked; a field inside a {@code nested} object is reported with
 * {@link Found#insideNested} so that the transformer can refuse it.
 */
public final class InstructTextFields {
    public static final String MODEL_ID = "model_id";
    public static final String TASK = "task";
    public static final String CHUNKING = "chunking";
    public static final String VECTOR = "vector";
    public static final String SKIP_EXISTING = "skip_existing";

    private InstructTextFields() {}

    /** A field found in a mapping, with the properties map it was declared in (the transformer adds its sibling there). */
    public record Found(InstructTextField field, String name, Map<String, Object> properties, boolean insideNested) {}

    /** The instruct_text fields of a mapping source, in mapping order. */
    public static List<InstructTextField> of(Map<String, Object> mappingSource) {
        List<InstructTextField> fields = new ArrayList<>();
        for (Found found : find(mappingSource)) {
            if (found.insideNested() == false) {
                fields.add(found.field());
            }
        }
        return fields;
    }

    /** Every instruct_text declaration of a mapping source, with where it is declared. */
    public static List<Found> find(Map<String, Object> mappingSource) {
        List<Found> found = new ArrayList<>();
        Map<String, Object> root = unwrapType(mappingSource);
        if (root != null) {
            walk(asMap(root.get("properties")), "", false, found);
        }
        return found;
    }

    /**
     * The names of the mapping's dynamic templates that map fields as {@code instruct_text}
     * ({@code "dynamic_templates": [{"name": {"mapping": {"type": "instruct_text"}}}]}).
     */
    public static List<String> dynamicTemplates(Map<String, Object> mappingSource) {
        List<String> names = new ArrayList<>();
        Map<String, Object> root = unwrapType(mappingSource);
        if (root != null && root.get("dynamic_templates") instanceof List<?> templates) {
            for (Object template : templates) {
                Map<String, Object> named = asMap(template);
                if (named == null) {
                    continue;
                }
                for (Map.Entry<String, Object> entry : named.entrySet()) {
                    Map<String, Object> definition = asMap(entry.getValue());
                    Map<String, Object> mapping = definition == null ? null : asMap(definition.get("mapping"));
                    if (mapping != null && InstructTextField.CONTENT_TYPE.equals(mapping.get("type"))) {
                        names.add(entry.getKey());
                    }
                }
            }
        }
        return names;
    }

    /** A mapping may come as {"properties": ...} or wrapped in its type, {"_doc": {"properties": ...}}. */
    public static Map<String, Object> unwrapType(Map<String, Object> mapping) {
        if (mapping == null) {
            return null;
        }
        if (mapping.size() == 1 && mapping.containsKey("properties") == false) {
            Map<String, Object> inner = asMap(mapping.values().iterator().next());
            if (inner != null && (inner.containsKey("properties") || inner.containsKey("dynamic_templates") || inner.isEmpty())) {
                return inner;
            }
        }
        return mapping;
    }

    private static void walk(Map<String, Object> properties, String prefix, boolean insideNested, List<Found> found) {
        if (properties == null) {
            return;
        }
        for (Map.Entry<String, Object> entry : properties.entrySet()) {
            Map<String, Object> definition = asMap(entry.getValue());
            if (definition == null) {
                continue;
            }
            String path = prefix + entry.getKey();
            if (InstructTextField.CONTENT_TYPE.equals(definition.get("type"))) {
                InstructTextField field = read(path, definition);
                Map<String, String> record = WrittenBy.recordedIn(properties.get(entry.getKey() + InstructTextField.SIBLING_SUFFIX), field);
                if (record != null && record.get(WrittenBy.PACK) != null) {
                    field = field.withRecordedPack(record.get(WrittenBy.PACK));
                }
                found.add(new Found(field, entry.getKey(), properties, insideNested));
            } else if (definition.get("properties") != null) {
                walk(asMap(definition.get("properties")), path + ".", insideNested || "nested".equals(definition.get("type")), found);
            }
        }
    }

    /**
     * Reads the field's parameters as the mapper stores them; their values were checked when the
     * mapping was accepted, so unexpected shapes fall back to the defaults here.
     */
    static InstructTextField read(String path, Map<String, Object> definition) {
        Object model = definition.get(MODEL_ID);
        Object task = definition.get(TASK);
        Object chunking = definition.get(CHUNKING);
        Object vector = definition.get(VECTOR);
        Object skip = definition.get(SKIP_EXISTING);
        Map<String, Object> chunkingOptions;
        if (Boolean.FALSE.equals(chunking) || "false".equals(chunking)) {
            chunkingOptions = null;
        } else {
            Map<String, Object> options = asMap(chunking);
            chunkingOptions = options == null ? Map.of() : new LinkedHashMap<>(options);
        }
        Map<String, Object> vectorOptions = asMap(vector);
        return new InstructTextField(
            path,
            model == null ? null : model.toString(),
            task == null ? null : task.toString(),
            chunkingOptions,
            vectorOptions == null ? Map.of() : new LinkedHashMap<>(vectorOptions),
            skip == null || Boolean.parseBoolean(skip.toString()),
            null
        );
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
    }
}
