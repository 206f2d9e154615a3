package io.instructembed.field;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds the {@code instruct_text} fields of a mapping source (the JSON of a mapping, as a map):
 * what the mapping transformer, the system ingest processor, the query and the response filter
 * all read. Object fields are walked; a field inside a {@code nested} object is reported with
 * {@link Found#insideNested} so that the transformer can refuse it.
 */
public final class InstructTextFields {
    private InstructTextFields() {}

    /**
     * A field found in a mapping, with the properties map it was declared in (the transformer adds
     * its sibling there). Its declaration is parsed by {@link #spec()}, so that the transformer can
     * refuse a field inside a nested object for that before it looks at its options.
     */
    public record Found(String path, String name, Map<String, Object> definition, Map<String, Object> properties, boolean insideNested) {
        /** The declared sibling object, if the mapping has one already (a mapping read with GET and put again). */
        Object sibling() {
            return properties.get(name + InstructTextSpec.SIBLING_SUFFIX);
        }

        /** The field as declared, with the pack its sibling records ({@link WrittenBy}); a 400 when it is declared wrongly. */
        public InstructTextSpec spec() {
            InstructTextSpec spec = InstructTextSpecParser.parse(path, definition);
            Map<String, String> record = WrittenBy.recordedIn(sibling(), spec);
            return record != null && record.get(WrittenBy.PACK) != null ? spec.withRecordedPack(record.get(WrittenBy.PACK)) : spec;
        }
    }

    /** The instruct_text fields of a mapping source, in mapping order. */
    public static List<InstructTextSpec> of(Map<String, Object> mappingSource) {
        List<InstructTextSpec> fields = new ArrayList<>();
        for (Found found : find(mappingSource)) {
            if (found.insideNested() == false) {
                fields.add(found.spec());
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
                    if (mapping != null && InstructTextSpec.CONTENT_TYPE.equals(mapping.get("type"))) {
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
            if (InstructTextSpec.CONTENT_TYPE.equals(definition.get("type"))) {
                found.add(new Found(path, entry.getKey(), definition, properties, insideNested));
            } else if (definition.get("properties") != null) {
                walk(asMap(definition.get("properties")), path + ".", insideNested || "nested".equals(definition.get("type")), found);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
    }
}
