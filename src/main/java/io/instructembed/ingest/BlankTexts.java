package io.instructembed.ingest;

import org.opensearch.ingest.IngestDocument;

import java.util.ArrayList;
import java.util.List;

/**
 * Empty and blank source texts are not embedded: a model given no words returns the vector of its
 * special tokens alone, which would match every query a little and none well. Like a missing
 * field, such a text gets no vector, and the document is indexed: a lone blank text leaves no
 * target (a target already in the document, such as the vector of an earlier text on an update, is
 * removed, so no vector outlives its text); blank entries of an array of texts are left out of its
 * {@code {text, vector}} objects. Chunking needs no such step: it cuts a blank text into no chunks.
 */
final class BlankTexts {
    private BlankTexts() {}

    static List<FieldTexts.Field> drop(IngestDocument document, List<FieldTexts.Field> fields) {
        List<FieldTexts.Field> kept = new ArrayList<>(fields.size());
        for (FieldTexts.Field field : fields) {
            if (field.array()) {
                List<String> texts = field.texts().stream().filter(text -> text.isBlank() == false).toList();
                kept.add(texts.size() == field.texts().size() ? field : new FieldTexts.Field(field.source(), field.target(), texts, true));
            } else if (field.texts().get(0).isBlank()) {
                removeIfPresent(document, field.target());
                removeIfPresent(document, EmbeddingFingerprint.fieldFor(field.target()));
            } else {
                kept.add(field);
            }
        }
        return kept;
    }

    private static void removeIfPresent(IngestDocument document, String path) {
        if (document.hasField(path)) {
            document.removeField(path);
        }
    }
}
