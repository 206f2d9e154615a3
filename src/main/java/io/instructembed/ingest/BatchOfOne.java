package io.instructembed.ingest;

import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The single-document form of a batching processor: the document runs as a batch of one, so there
 * is one code path. The synchronous form is refused, since inference must never block the ingest
 * thread.
 */
final class BatchOfOne {
    private BatchOfOne() {}

    interface Batch {
        void run(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler);
    }

    static void run(IngestDocument document, Batch batch, BiConsumer<IngestDocument, Exception> handler) {
        IngestDocumentWrapper wrapper = new IngestDocumentWrapper(0, 0, document, null);
        batch.run(List.of(wrapper), done -> handler.accept(wrapper.getException() == null ? document : null, wrapper.getException()));
    }

    static IllegalStateException synchronousCall(String type) {
        return new IllegalStateException("[" + type + "] runs asynchronously only");
    }
}
