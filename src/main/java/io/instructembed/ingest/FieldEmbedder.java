package io.instructembed.ingest;

import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.List;
import java.util.function.Consumer;

/** What embeds one field map over a batch of documents, whole ones (ingest) or the partial documents of updates. */
interface FieldEmbedder {
    /**
     * Embeds the batch; documents that fail get their exception in their wrapper. With
     * {@code partial}, the documents are the {@code doc} of updates that OpenSearch merges on the
     * shard: an absent source is unchanged, and a cleared one must null its targets.
     */
    void batchExecute(List<IngestDocumentWrapper> wrappers, boolean partial, Consumer<List<IngestDocumentWrapper>> handler);

    /**
     * Adds what {@code document} gives this embedder to a tally of the whole document (see
     * {@link DocumentTally}); reads the document only, and never fails: a document that cannot be
     * read fails in {@link #batchExecute} with its reason.
     */
    void tally(IngestDocument document, boolean partial, DocumentTally tally);
}
