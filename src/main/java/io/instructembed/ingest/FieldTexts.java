package io.instructembed.ingest;

import org.opensearch.ingest.IngestDocument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The texts one document gives the processor: for each mapped source field, a string or an array
 * of strings. Reading either succeeds for the whole document or fails it with a reason that names
 * the field; no vector is written before every field of the document has been read.
 */
final class FieldTexts {

    /** One source field of one document: its texts, and whether it was a lone string or an array. */
    record Field(String source, String target, List<String> texts, boolean array) {}

    private FieldTexts() {}

    static List<Field> read(IngestDocument document, Map<String, String> fieldMap, boolean ignoreMissing) {
        List<Field> fields = new ArrayList<>(fieldMap.size());
        for (Map.Entry<String, String> mapping : fieldMap.entrySet()) {
            String source = mapping.getKey();
            Object value = document.hasField(source) ? document.getFieldValue(source, Object.class, true) : null;
            if (value == null) {
                if (ignoreMissing) {
                    continue;
                }
                throw new IllegalArgumentException(
                    "field [" + source + "] " + (document.hasField(source) ? "is null" : "is missing") + " (set ignore_missing to skip such documents' fields)"
                );
            }
            if (value instanceof String text) {
                fields.add(new Field(source, mapping.getValue(), List.of(text), false));
            } else if (value instanceof List<?> list) {
                List<String> texts = new ArrayList<>(list.size());
                for (int i = 0; i < list.size(); i++) {
                    if (list.get(i) instanceof String text) {
                        texts.add(text);
                    } else {
                        throw new IllegalArgumentException(
                            "field [" + source + "][" + i + "] must be a string, got " + describe(list.get(i))
                        );
                    }
                }
                fields.add(new Field(source, mapping.getValue(), texts, true));
            } else {
                throw new IllegalArgumentException("field [" + source + "] must be a string or an array of strings, got " + describe(value));
            }
        }
        return fields;
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map<?, ?>) {
            return "an object";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        return "[" + value + "] (" + value.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
