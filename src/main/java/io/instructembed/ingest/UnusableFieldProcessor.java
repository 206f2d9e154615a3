package io.instructembed.ingest;

import io.instructembed.writerule.SourceValues;
import io.instructembed.writerule.TextDigest;

import org.opensearch.ingest.AbstractProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Stands in for an {@code instruct_text} field that cannot be embedded on this node (its pack is
 * gone, or broken): a document that has text in the field fails alone with the reason (HTTP 400),
 * instead of being indexed without its vectors; documents without the field pass.
 */
final class UnusableFieldProcessor extends AbstractProcessor implements FieldEmbedder {
    private final String field;
    private final String reason;

    UnusableFieldProcessor(String field, String reason) {
        super(null, "instruct_text field [" + field + "] (unusable)");
        this.field = field;
        this.reason = reason;
    }

    @Override
    public String getType() {
        return InstructTextProcessor.TYPE;
    }

    @Override
    public IngestDocument execute(IngestDocument document) {
        if (TextDigest.hasText(SourceValues.texts(SourceValues.valueAt(document.getSourceAndMetadata(), field)))) {
            throw new IllegalArgumentException("instruct_text field [" + field + "] cannot be embedded on this node: " + reason);
        }
        return document;
    }

    @Override
    public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
        try {
            handler.accept(execute(document), null);
        } catch (IllegalArgumentException e) {
            handler.accept(null, e);
        }
    }

    @Override
    public void batchExecute(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        batchExecute(wrappers, false, handler);
    }

    /** Whole and partial documents alike: one with text in the field fails. */
    @Override
    public void batchExecute(List<IngestDocumentWrapper> wrappers, boolean partial, Consumer<List<IngestDocumentWrapper>> handler) {
        for (IngestDocumentWrapper wrapper : wrappers) {
            if (wrapper.getException() == null && wrapper.getIngestDocument() != null) {
                try {
                    execute(wrapper.getIngestDocument());
                } catch (IllegalArgumentException e) {
                    wrapper.update(wrapper.getIngestDocument(), e);
                }
            }
        }
        handler.accept(wrappers);
    }

    /** Adds nothing: this field embeds nothing (a document with text in it fails with the reason above). */
    @Override
    public void tally(IngestDocument document, boolean partial, DocumentTally tally) {}
}
