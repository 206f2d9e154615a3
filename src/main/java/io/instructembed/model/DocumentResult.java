package io.instructembed.model;

import io.instructembed.chunking.TextChunker;

import java.util.List;

/**
 * What one document of a {@link DocumentCall} gets: for each of its texts (over its fields, in
 * order), the pieces it was embedded as; or, instead, the document's own error (a bad-input reason
 * naming the field, or an inference failure that hit only this document).
 *
 * @param texts   per text, its pieces in order; null when the document failed
 * @param failure the document's error, else null
 */
public record DocumentResult(List<List<Piece>> texts, Exception failure) {

    /**
     * One embedded piece of a text: the whole text, or one chunk of it.
     *
     * @param offsets where the chunk lies in its source text; null when the text was embedded whole
     */
    public record Piece(TextChunker.Chunk offsets, Embedding embedding) {
        /** The text the piece stands for. */
        public String text(String source) {
            return offsets == null ? source : offsets.text(source);
        }
    }

    static DocumentResult of(List<List<Piece>> texts) {
        return new DocumentResult(texts, null);
    }

    static DocumentResult failed(Exception failure) {
        return new DocumentResult(null, failure);
    }

    public boolean failed() {
        return failure != null;
    }
}
