package io.instructembed.model;

import io.instructembed.settings.InstructEmbedSettings;

/**
 * The most chunks one document may give ({@code instruct_embed.chunking.max_chunks_per_document}):
 * a document over it fails alone, before any of its chunks is embedded, with a reason that says
 * how many chunks each of its fields gave, so the user can see which text to shorten.
 */
final class ChunkLimit {
    private ChunkLimit() {}

    /** The reason a document over the limit fails, or null when its chunks fit; {@code chunksPerField} follows its fields. */
    static IllegalArgumentException check(DocumentCall.Document document, int[] chunksPerField, int limit) {
        int total = 0;
        for (int chunks : chunksPerField) {
            total += chunks;
        }
        if (total <= limit) {
            return null;
        }
        StringBuilder perField = new StringBuilder();
        for (int f = 0; f < chunksPerField.length; f++) {
            perField.append(f == 0 ? "" : ", ").append("field [").append(document.fields().get(f).name()).append("]: ").append(chunksPerField[f]);
        }
        return new IllegalArgumentException(
            "the document gives " + total + " chunks (" + perField + "), over the limit of " + limit + " per document ("
                + InstructEmbedSettings.CHUNKING_MAX_CHUNKS.getKey() + "); raise the limit or chunking.max_tokens"
        );
    }
}
