package io.instructembed.model;

import io.instructembed.chunking.ChunkingOptions;

import java.util.List;

/**
 * The document side of one caller's work (one ingest batch) for one model: each document's texts,
 * to be embedded whole or cut into chunks first, answered per document (see
 * {@link EmbeddingService#embedDocuments}). The texts are grouped by document because a
 * document's chunk limit and its errors are its own, and its texts travel in one inference call.
 *
 * @param task                 the pack's task, or null for its document prompt
 * @param chunking             how texts are cut into chunks, or null when each text is embedded whole
 * @param maxChunksPerDocument chunks one document may give (with {@code chunking}); a document over it fails
 * @param truncate             whether a text longer than the model takes is cut at its max tokens; when
 *                             false, such a text fails its document
 * @param documents            the documents, in order; a document without texts costs no model call
 * @param packIdentity         the pack identity whose vectors the caller may write (what its target
 *                             recorded, or what the cluster serves as it checked): the call fails
 *                             with a 409 rather than run on files of another; null for any
 */
public record DocumentCall(
    String modelId,
    String task,
    ChunkingOptions chunking,
    int maxChunksPerDocument,
    boolean truncate,
    List<Document> documents,
    String packIdentity
) {

    public DocumentCall {
        documents = List.copyOf(documents);
    }

    /** A call for any identity of the pack. */
    public DocumentCall(String modelId, String task, ChunkingOptions chunking, int maxChunksPerDocument, boolean truncate, List<Document> documents) {
        this(modelId, task, chunking, maxChunksPerDocument, truncate, documents, null);
    }

    /** The same call, for files of that identity only. */
    public DocumentCall withPackIdentity(String identity) {
        return new DocumentCall(modelId, task, chunking, maxChunksPerDocument, truncate, documents, identity);
    }

    /** The source texts of all documents (before any chunking). */
    public int textCount() {
        int texts = 0;
        for (Document document : documents) {
            for (Field field : document.fields()) {
                texts += field.texts().size();
            }
        }
        return texts;
    }

    /** One document's source fields, in order. */
    public record Document(List<Field> fields) {
        public Document {
            fields = List.copyOf(fields);
        }

        /** Whether the document has any text to embed. */
        public boolean hasTexts() {
            for (Field field : fields) {
                if (field.texts().isEmpty() == false) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * One source field of a document: its name and shape, which only a document's errors use
     * (they name the field, and an array's entry), and its texts to embed. A field with no texts
     * (its stored vectors are kept) still counts in the chunk limit's message.
     */
    public record Field(String name, boolean array, List<String> texts) {
        public Field {
            texts = List.copyOf(texts);
        }
    }
}
