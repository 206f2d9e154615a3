package io.instructembed.ingest;

import io.instructembed.writerule.SourceValues;
import io.instructembed.writerule.TextDigest;
import org.opensearch.ingest.IngestDocument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The texts one document gives the processor: for each mapped source field, a string or an array
 * of strings. Reading either succeeds for the whole document or fails it with a reason that names
 * the field; no vector is written before every field of the document has been read. A source is
 * found at its dotted path whether the document nests it ({@code {"meta": {"summary": ..}}}) or
 * writes a dotted key ({@code {"meta.summary": ..}}), as OpenSearch's document parser does.
 */
final class FieldTexts {

    /** One source field of one document: its texts, and whether it was a lone string or an array. */
    record Field(String source, String target, List<String> texts, boolean array) {}

    /**
     * What a document gives for the field map: the fields to embed, the targets whose source is
     * absent, and the targets whose source is present without text (null or a lone blank string).
     */
    record Read(List<Field> fields, List<String> absentTargets, List<String> clearedTargets) {}

    private FieldTexts() {}

    /**
     * @param partial whether the document is a partial update ({@code doc} of an update): an absent
     *                source then means an unchanged one, never an error
     */
    static Read read(IngestDocument document, Map<String, String> fieldMap, boolean ignoreMissing, boolean partial) {
        List<Field> fields = new ArrayList<>(fieldMap.size());
        List<String> absent = new ArrayList<>();
        List<String> cleared = new ArrayList<>();
        for (Map.Entry<String, String> mapping : fieldMap.entrySet()) {
            String source = mapping.getKey();
            SourceValues.Found found = SourceValues.find(document.getSourceAndMetadata(), source);
            Object value = found.value();
            if (value == null) {
                if (ignoreMissing == false && partial == false) {
                    throw new IllegalArgumentException(
                        "field [" + source + "] " + (found.present() ? "is null" : "is missing") + " (set ignore_missing to skip such documents' fields)"
                    );
                }
                (found.present() ? cleared : absent).add(mapping.getValue());
                continue;
            }
            if (value instanceof String text) {
                if (TextDigest.blank(text)) {
                    cleared.add(mapping.getValue());  // no words, no vector: like null
                } else {
                    fields.add(new Field(source, mapping.getValue(), List.of(text), false));
                }
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
        return new Read(fields, absent, cleared);
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
