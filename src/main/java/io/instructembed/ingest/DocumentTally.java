package io.instructembed.ingest;

import io.instructembed.limits.TextLimits;

/**
 * What one document gives to embed, counted across its fields the way the per-document limits
 * count it: the characters of its texts to chunk ({@code instruct_embed.limits.max_document_chars})
 * and the number of its texts embedded whole ({@code instruct_embed.limits.max_texts_per_document}).
 * One tally covers every field one processor embeds: the field map of an {@code instruct_embedding}
 * processor, or all {@code instruct_text} fields of an index, whose processors the index's system
 * processor runs one after another (each sees one field; the system processor sees the document).
 */
final class DocumentTally {
    private long chunkedChars;
    private int wholeTexts;
    private final StringBuilder chunkedFields = new StringBuilder();
    private final StringBuilder wholeFields = new StringBuilder();

    /** A field whose texts are chunked: each one is tokenised whole. */
    void chunked(FieldTexts.Field field) {
        long chars = 0;
        for (String text : field.texts()) {
            chars += text.length();
        }
        chunkedChars += chars;
        name(chunkedFields, field, chars);
    }

    /** A field whose texts are embedded whole (blank ones already dropped: they are not embedded). */
    void whole(FieldTexts.Field field) {
        wholeTexts += field.texts().size();
        name(wholeFields, field, field.texts().size());
    }

    /** Refuses the document (400 naming each field's share) when it gives more than the limits allow. */
    void check(TextLimits limits) {
        if (wholeFields.isEmpty() == false) {
            limits.checkDocumentTexts(wholeTexts, wholeFields.toString());
        }
        if (chunkedFields.isEmpty() == false) {
            limits.checkDocument(chunkedChars, chunkedFields.toString());
        }
    }

    private static void name(StringBuilder names, FieldTexts.Field field, long size) {
        names.append(names.isEmpty() ? "" : ", ").append("field [").append(field.source()).append("]: ").append(size);
    }
}
