package io.instructembed.ingest;

import io.instructembed.writerule.TextDigest;

import java.util.ArrayList;
import java.util.List;

/**
 * Blank entries of an array of texts are not embedded: a model given no words returns the vector
 * of its special tokens alone, which would match every query a little and none well. They are left
 * out of the array's {@code {text, vector}} objects. (A lone blank text is read as no text at all,
 * see {@link FieldTexts}; chunking needs no such step: it cuts a blank text into no chunks.)
 */
final class BlankTexts {
    private BlankTexts() {}

    static List<FieldTexts.Field> drop(List<FieldTexts.Field> fields) {
        List<FieldTexts.Field> kept = new ArrayList<>(fields.size());
        for (FieldTexts.Field field : fields) {
            if (field.array()) {
                List<String> texts = field.texts().stream().filter(text -> TextDigest.blank(text) == false).toList();
                kept.add(texts.size() == field.texts().size() ? field : new FieldTexts.Field(field.source(), field.target(), texts, true));
            } else {
                kept.add(field);
            }
        }
        return kept;
    }
}
