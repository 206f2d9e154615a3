package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.limits.TextLimits;
import io.instructembed.mapping.TargetRecords;
import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.model.DocumentCall;
import io.instructembed.pack.ModelPack;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.EmbeddingService;
import io.instructembed.writerule.SourceValues;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.ingest.AbstractProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Ingest processor {@code instruct_embedding}: embeds the mapped source fields of documents with
 * the model's document-side prompt and writes the vectors to the target fields. A lone string
 * becomes a vector; an array of strings becomes an array of {@code {text, vector}} objects (map it
 * as {@code nested}). With {@code chunking}, each text is cut into chunks that the model takes
 * whole, and the target gets one {@code {text, offsets, vector}} object per chunk. With
 * {@code skip_existing}, fields whose stored fingerprint shows the same model, prompt, chunking and
 * text keep their stored vectors ({@link StoredVectors}). Runs asynchronously: the whole batch is one
 * {@link EmbeddingService#embedDocuments} call, which chunks, splits and paces the model work and
 * answers per document; a batch with nothing to embed (every field reused or blank) makes no model
 * call. A bad document fails alone, with a reason naming the field.
 */
public final class InstructEmbeddingProcessor extends AbstractProcessor implements FieldEmbedder {
    public static final String TYPE = "instruct_embedding";

    private final String modelId;
    private final Map<String, String> fieldMap;
    private final String task;
    private final boolean truncate;
    private final boolean ignoreMissing;
    private final int dimensions;
    private final EmbeddingService models;
    private final ClusterService clusterService;
    /** Null when texts are embedded whole. */
    private final ChunkingOptions chunking;
    private final Supplier<Integer> maxChunksPerDocument;
    private final boolean skipExisting;
    /** Whether the fingerprint is written beside the vectors: with skip_existing, and always for instruct_text fields (their write rule reads it). */
    private final boolean fingerprinted;
    private final EmbeddingFingerprint fingerprint;
    /** Pipelines only: the model recorded as each target's writer is kept to (instruct_text fields record theirs in the mapping). */
    private final boolean recordsTargets;
    /** An instruct_text field's recorded writer (its mapping's): the only files that may embed its documents; else null. */
    private final String recordedPack;
    /** skip_existing: the batch's stored vectors, read once per batch. */
    private final StoredVectors storedVectors;

    /**
     * @param options           what to embed, with the chunk size resolved against the pack
     * @param instructTextField whether this is an instruct_text field's processor (see {@link #fingerprinted}, {@link #recordsTargets})
     */
    InstructEmbeddingProcessor(
        String tag,
        String description,
        EmbeddingOptions options,
        int dimensions,
        Supplier<Integer> maxChunksPerDocument,
        boolean instructTextField,
        String recordedPack,
        EmbeddingFingerprint fingerprint,
        Supplier<Client> client,
        EmbeddingService models,
        ClusterService clusterService
    ) {
        super(tag, description);
        this.modelId = options.modelId();
        this.fieldMap = new LinkedHashMap<>(options.fieldMap());
        this.task = options.task();
        this.truncate = options.truncate();
        this.ignoreMissing = options.ignoreMissing();
        this.dimensions = dimensions;
        this.models = models;
        this.clusterService = clusterService;
        this.chunking = options.chunking();
        this.maxChunksPerDocument = maxChunksPerDocument;
        this.skipExisting = options.skipExisting();
        this.fingerprinted = skipExisting || instructTextField;
        this.recordsTargets = instructTextField == false;
        this.recordedPack = recordedPack;
        this.fingerprint = fingerprint;
        this.storedVectors = new StoredVectors(client, fingerprint, this.fieldMap.values());
    }

    @Override
    public String getType() {
        return TYPE;
    }

    public String modelId() {
        return modelId;
    }

    public Map<String, String> fieldMap() {
        return fieldMap;
    }

    /**
     * The pack identity the processor embeds with now: that of the files on the nodes that serve
     * the pack (this node's, when it serves it), or null while no node has its files. Asked per
     * batch, not fixed when the pipeline was made: which files serve can change with the nodes.
     */
    public String packIdentity() {
        return models.pack(modelId).map(ModelPack::identity).orElse(null);
    }

    @Override
    public IngestDocument execute(IngestDocument document) {
        // the ingest service calls the asynchronous form
        throw BatchOfOne.synchronousCall(TYPE);
    }

    @Override
    public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
        BatchOfOne.run(document, this::batchExecute, handler);
    }

    @Override
    public void batchExecute(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        batchExecute(wrappers, false, handler);
    }

    /**
     * Embeds a batch of whole documents, or (with {@code partial}) of the partial documents of
     * updates that OpenSearch resolves on the shard after ingest: a source absent from a partial
     * document is unchanged, not missing (never an error, even without {@code ignore_missing}).
     * Either way no vector outlives its text: see {@link #clearTargets}.
     */
    @Override
    public void batchExecute(List<IngestDocumentWrapper> wrappers, boolean partial, Consumer<List<IngestDocumentWrapper>> handler) {
        List<BatchDocument> pending = new ArrayList<>(wrappers.size());
        Map<String, VectorFieldMappings> mappings = new HashMap<>();
        TextLimits limits = TextLimits.current(clusterService.getClusterSettings());
        // the files this batch is checked against and embedded by: one identity for all its vectors
        String identity = recordsTargets ? packIdentity() : recordedPack;
        for (IngestDocumentWrapper wrapper : wrappers) {
            if (wrapper.getException() != null || wrapper.getIngestDocument() == null) {
                continue;
            }
            IngestDocument document = wrapper.getIngestDocument();
            try {
                FieldTexts.Read read = FieldTexts.read(document, fieldMap, ignoreMissing, partial);
                List<FieldTexts.Field> fields = textsToEmbed(read);
                DocumentTally tally = new DocumentTally();
                count(fields, tally);
                tally.check(limits);
                String index = document.getFieldValue(IngestDocument.Metadata.INDEX.getFieldName(), String.class, true);
                VectorFieldMappings targets = mappings.computeIfAbsent(String.valueOf(index), i -> VectorFieldMappings.of(clusterService, index));
                for (FieldTexts.Field field : fields) {
                    String problem = targets.check(field.target(), writesObjects(field), dimensions, modelId);
                    if (problem == null) {
                        problem = targets.checkMapped(field.target(), writesObjects(field), dimensions);
                    }
                    if (problem == null && recordsTargets) {
                        // one field, one model: the writer recorded on the index's first write (PipelineTargetRecorder)
                        problem = TargetRecords.problem(String.valueOf(index), field.target(), targets.recorded(field.target()), modelId, identity);
                    }
                    if (problem != null) {
                        throw new IllegalArgumentException(problem);
                    }
                }
                clearTargets(document, read, partial, targets);
                if (fields.isEmpty() == false) {
                    pending.add(new BatchDocument(wrapper, fields, targets));
                }
            } catch (RuntimeException e) {
                failDocument(wrapper, e);
            }
        }
        if (pending.isEmpty()) {
            handler.accept(wrappers);
            return;
        }
        if (skipExisting) {
            storedVectors.reuse(pending, () -> embed(pending, wrappers, handler, identity));
        } else {
            embed(pending, wrappers, handler, identity);
        }
    }

    /**
     * No vector outlives its text: the targets of sources without text (null, blank) are nulled,
     * with the fingerprint of no text where fingerprints are written (a partial document's null
     * must override the stored ones when merged); those of absent sources are removed (from a
     * partial document, that is only what the client sent there: the stored ones are still their
     * text's), with any fingerprint but that of no text: a client's fingerprint must not pass for
     * the stored vectors' own, and the fingerprint of no text (which a scripted upsert's document
     * carries, see {@link BulkUpdateEmbeddingFilter}) lets the write rule see a text that a script
     * adds on the shard.
     */
    private void clearTargets(IngestDocument document, FieldTexts.Read read, boolean partial, VectorFieldMappings targets) {
        Map<String, Object> source = document.getSourceAndMetadata();
        for (String target : read.absentTargets()) {
            SourceValues.remove(source, target);
            String fingerprintField = EmbeddingFingerprint.fieldFor(target);
            if (noTextFingerprint().equals(SourceValues.valueAt(source, fingerprintField)) == false) {
                SourceValues.remove(source, fingerprintField);
            }
        }
        for (String target : read.clearedTargets()) {
            SourceValues.remove(source, target);
            document.setFieldValue(target, null);
            if (fingerprints(targets, target)) {
                SourceValues.remove(source, EmbeddingFingerprint.fieldFor(target));
                document.setFieldValue(EmbeddingFingerprint.fieldFor(target), noTextFingerprint());
            } else if (partial == false) {
                SourceValues.remove(source, EmbeddingFingerprint.fieldFor(target));
            }
        }
    }

    /** The fingerprint of no text: stored where a source is empty, so that a text added by a script on the shard is caught. */
    String noTextFingerprint() {
        return fingerprint.of(List.of(), false);
    }

    /**
     * Whether a target's fingerprint is written: with skip_existing, for instruct_text fields, and
     * wherever the index maps {@code <target>_fingerprint} (the write rule then checks the target).
     * Elsewhere an unmapped fingerprint would be a new field, which a strict mapping refuses.
     */
    private boolean fingerprints(VectorFieldMappings targets, String target) {
        return fingerprinted || targets.isMapped(EmbeddingFingerprint.fieldFor(target));
    }

    /**
     * One model-service call for the batch's documents; each is written, or fails alone with its
     * own error. {@code identity}: the files the targets were checked against (a pipeline's) or
     * that wrote them (an instruct_text field's record), which the call must then run on; null for
     * any.
     */
    private void embed(
        List<BatchDocument> pending,
        List<IngestDocumentWrapper> wrappers,
        Consumer<List<IngestDocumentWrapper>> handler,
        String identity
    ) {
        List<DocumentCall.Document> documents = new ArrayList<>(pending.size());
        for (BatchDocument document : pending) {
            documents.add(document.toEmbed());
        }
        int maxChunks = chunking == null ? Integer.MAX_VALUE : maxChunksPerDocument.get();
        // Not ActionListener.wrap: an exception thrown while handing the batch on must not answer it a second time.
        models.embedDocuments(new DocumentCall(modelId, task, chunking, maxChunks, truncate, documents, identity), new ActionListener<>() {
            @Override
            public void onResponse(List<DocumentResult> results) {
                for (int d = 0; d < pending.size(); d++) {
                    DocumentResult result = results.get(d);
                    if (result.failed()) {
                        failDocument(pending.get(d).wrapper, result.failure());
                    } else {
                        write(pending.get(d), result.texts());
                    }
                }
                handler.accept(wrappers);
            }

            @Override
            public void onFailure(Exception e) {
                for (BatchDocument document : pending) {
                    failDocument(document.wrapper, e);
                }
                handler.accept(wrappers);
            }
        });
    }

    /** The fields of a document to embed: blank entries of arrays are not embedded whole (chunking gives them no chunk). */
    private List<FieldTexts.Field> textsToEmbed(FieldTexts.Read read) {
        return chunking == null ? BlankTexts.drop(read.fields()) : read.fields();
    }

    private void count(List<FieldTexts.Field> fields, DocumentTally tally) {
        for (FieldTexts.Field field : fields) {
            if (chunking == null) {
                tally.whole(field);
            } else {
                tally.chunked(field);
            }
        }
    }

    /**
     * Adds what the document gives this processor to a tally of several processors (the
     * instruct_text fields of an index). A document whose fields cannot be read adds nothing: it
     * fails in {@link #batchExecute} with the reason, naming the field.
     */
    @Override
    public void tally(IngestDocument document, boolean partial, DocumentTally tally) {
        List<FieldTexts.Field> fields;
        try {
            fields = textsToEmbed(FieldTexts.read(document, fieldMap, ignoreMissing, partial));
        } catch (RuntimeException e) {
            return;
        }
        count(fields, tally);
    }

    /** Whether a field's target gets an array of objects (an array of texts, or chunks) rather than one vector. */
    private boolean writesObjects(FieldTexts.Field field) {
        return field.array() || chunking != null;
    }

    /** Writes a document's vectors; a document that cannot take them (a target path that collides with its other fields) fails alone. */
    private void write(BatchDocument document, List<List<DocumentResult.Piece>> texts) {
        try {
            writeVectors(document, texts);
        } catch (RuntimeException e) {
            failDocument(document.wrapper, e);
        }
    }

    /** {@code texts}: the pieces of each text the model embedded, in the order of the document's fields, none for a reused field. */
    private void writeVectors(BatchDocument document, List<List<DocumentResult.Piece>> texts) {
        IngestDocument ingestDocument = document.wrapper.getIngestDocument();
        int next = 0;
        int skipped = 0;
        int embedded = 0;
        for (int f = 0; f < document.fields.size(); f++) {
            FieldTexts.Field field = document.fields.get(f);
            String fingerprintField = EmbeddingFingerprint.fieldFor(field.target());
            if (fingerprints(document.targets, field.target())) {
                ingestDocument.setFieldValue(fingerprintField, fingerprint.of(field.texts(), field.array()));
            } else if (ingestDocument.hasField(fingerprintField)) {
                // vectors written without a fingerprint must never pass for ones that have it
                ingestDocument.removeField(fingerprintField);
            }
            if (document.reused(f)) {
                ingestDocument.setFieldValue(field.target(), document.reusedValue(f));
                skipped += field.texts().size();
                continue;
            }
            embedded += field.texts().size();
            if (writesObjects(field) == false) {  // a lone text embedded whole: one vector
                ingestDocument.setFieldValue(field.target(), asList(texts.get(next++).get(0).embedding().vector()));
                continue;
            }
            List<Map<String, Object>> objects = new ArrayList<>();
            for (String text : field.texts()) {
                for (DocumentResult.Piece piece : texts.get(next)) {
                    Map<String, Object> object = new LinkedHashMap<>();
                    object.put(VectorFieldMappings.ARRAY_TEXT, piece.text(text));
                    if (piece.offsets() != null) {
                        object.put(VectorFieldMappings.CHUNK_OFFSETS, List.of(piece.offsets().start(), piece.offsets().end()));
                    }
                    object.put(VectorFieldMappings.ARRAY_VECTOR, asList(piece.embedding().vector()));
                    objects.add(object);
                }
                next++;
            }
            ingestDocument.setFieldValue(field.target(), objects);
        }
        if (skipExisting) {
            models.countSkipExisting(modelId, skipped, embedded);
        }
    }

    /** Fails one document of a batch; a bad-input reason (400) names the processor, as every reason of its documents does. */
    static void failDocument(IngestDocumentWrapper wrapper, Exception e) {
        Exception reason = e instanceof IllegalArgumentException
            ? new IllegalArgumentException("[" + TYPE + "] " + e.getMessage(), e.getCause())
            : e;
        wrapper.update(wrapper.getIngestDocument(), reason);
    }

    private static List<Float> asList(float[] vector) {
        List<Float> list = new ArrayList<>(vector.length);
        for (float v : vector) {
            list.add(v);
        }
        return list;
    }
}
