package io.instructembed.ingest;

import io.instructembed.limits.TextLimits;
import io.instructembed.writerule.SourceValues;
import org.opensearch.ingest.AbstractBatchingSystemProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The system ingest processor of an index with {@code instruct_text} fields: OpenSearch builds it
 * from the index mapping and runs it after the index's own pipelines on every write (index, bulk,
 * update, reindex), so no user pipeline is needed. Each field is embedded by an
 * {@link InstructEmbeddingProcessor} configured from its mapping; they run one after another over
 * the whole batch, so a bulk still becomes a few model calls per field. A document that fails in
 * one field is not passed to the next (it fails alone, with the first reason).
 *
 * <p>Each field's sibling object ({@code body_instruct}) is the plugin's: whatever a client sent
 * there is dropped before the field is embedded, so the only vectors that can be written are those
 * of the document's own text (or, with {@code skip_existing}, the stored ones of the same text).
 */
public final class InstructTextProcessor extends AbstractBatchingSystemProcessor {
    public static final String TYPE = "instruct_text";
    /** The whole batch goes to each field's processor, which cuts it into model calls itself. */
    private static final int WHOLE_BATCH = Integer.MAX_VALUE;

    /** One per field, in mapping order. */
    record Field(String path, String siblingPath, FieldEmbedder embedder) {}

    private final List<Field> fields;
    /** The text limits in force, read once per batch (they are dynamic settings). */
    private final Supplier<TextLimits> limits;

    InstructTextProcessor(String tag, String description, List<Field> fields, Supplier<TextLimits> limits) {
        super(tag, description, WHOLE_BATCH);
        this.fields = List.copyOf(fields);
        this.limits = limits;
    }

    @Override
    public String getType() {
        return TYPE;
    }

    List<Field> fields() {
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

    /**
     * Whole documents, and also (OpenSearch runs system pipelines on them) the partial {@code doc}
     * of {@code _bulk} updates, which the shard merges into the stored document. Both are safe: an
     * absent text changes nothing, a text in the doc brings its vectors, a null or blank one nulls
     * them, and a sibling object the client sent is dropped either way.
     */
    @Override
    protected void subBatchExecute(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        for (IngestDocumentWrapper wrapper : wrappers) {
            if (wrapper.getIngestDocument() != null) {
                for (Field field : fields) {
                    SourceValues.remove(wrapper.getIngestDocument().getSourceAndMetadata(), field.siblingPath());
                }
            }
        }
        checkDocumentLimits(wrappers);
        runFrom(0, wrappers, handler);
    }

    /**
     * The per-document limits count what the whole document gives to embed, as for a processor's
     * field map: each field's processor sees its own field only, so the fields are counted here,
     * together, before any of them is embedded. A document over a limit fails alone.
     */
    private void checkDocumentLimits(List<IngestDocumentWrapper> wrappers) {
        if (fields.size() < 2) {
            return;  // the field's processor counts its one field itself
        }
        TextLimits limits = this.limits.get();
        for (IngestDocumentWrapper wrapper : wrappers) {
            if (wrapper.getException() != null || wrapper.getIngestDocument() == null) {
                continue;
            }
            DocumentTally tally = new DocumentTally();
            for (Field field : fields) {
                field.embedder().tally(wrapper.getIngestDocument(), false, tally);
            }
            try {
                tally.check(limits);
            } catch (IllegalArgumentException e) {
                InstructEmbeddingProcessor.failDocument(wrapper, e);
            }
        }
    }

    private void runFrom(int field, List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        if (field == fields.size()) {
            handler.accept(wrappers);
            return;
        }
        // each processor skips documents that already failed
        fields.get(field).embedder().batchExecute(wrappers, false, done -> runFrom(field + 1, wrappers, handler));
    }
}
