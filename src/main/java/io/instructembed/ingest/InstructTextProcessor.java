package io.instructembed.ingest;

import org.opensearch.ingest.AbstractBatchingSystemProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.ingest.Processor;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The system ingest processor of an index with {@code instruct_text} fields: OpenSearch builds it
 * from the index mapping and runs it after the index's own pipelines on every write (index, bulk,
 * update, reindex), so no user pipeline is needed. Each field is embedded by an
 * {@link InstructEmbeddingProcessor} configured from its mapping; they run one after another over
 * the whole batch, so a bulk still becomes a few model calls per field. A document that fails in
 * one field is not passed to the next (it fails alone, with the first reason).
 */
public final class InstructTextProcessor extends AbstractBatchingSystemProcessor {
    public static final String TYPE = "instruct_text";
    /** The whole batch goes to each field's processor, which cuts it into model calls itself. */
    private static final int WHOLE_BATCH = Integer.MAX_VALUE;

    private final List<Processor> fields;

    InstructTextProcessor(String tag, String description, List<Processor> fields) {
        super(tag, description, WHOLE_BATCH);
        this.fields = List.copyOf(fields);
    }

    @Override
    public String getType() {
        return TYPE;
    }

    List<Processor> fields() {
        return fields;
    }

    @Override
    public IngestDocument execute(IngestDocument document) {
        // the ingest service calls the asynchronous form
        throw BatchOfOne.synchronousCall(TYPE);
    }

    @Override
    public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
        BatchOfOne.run(document, this::subBatchExecute, handler);
    }

    @Override
    protected void subBatchExecute(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        runFrom(0, wrappers, handler);
    }

    private void runFrom(int field, List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        if (field == fields.size()) {
            handler.accept(wrappers);
            return;
        }
        // each processor skips documents that already failed
        fields.get(field).batchExecute(wrappers, done -> runFrom(field + 1, wrappers, handler));
    }
}
