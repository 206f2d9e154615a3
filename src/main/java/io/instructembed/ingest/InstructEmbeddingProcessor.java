package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.chunking.TextChunker;
import io.instructembed.limits.TextLimits;
import io.instructembed.model.Embedding;
import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.model.EmbeddingService;
import io.instructembed.pack.InputType;
import io.instructembed.mapping.TargetRecords;
import io.instructembed.settings.InstructEmbedSettings;
import io.instructembed.writerule.SourceValues;
import io.instructembed.writerule.TextDigest;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.get.MultiGetItemResponse;
import org.opensearch.action.get.MultiGetRequest;
import org.opensearch.action.get.MultiGetResponse;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.ingest.AbstractProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.search.fetch.subphase.FetchSourceContext;
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
 * text keep their stored vectors. Runs asynchronously, and a bulk becomes a few model calls rather
 * than one per document: the batch's texts (or chunks) go to the model service in calls of a few
 * hundred, which it cuts into length-sorted inference batches. A {@link CallWindow} keeps at most
 * half of the model's queue in flight for one batch, so a bulk on an idle node is never refused
 * (429) by its own size. A batch with nothing to embed (every field reused or blank) makes no model
 * call. A bad document fails alone, with a reason naming the field.
 */
public final class InstructEmbeddingProcessor extends AbstractProcessor implements FieldEmbedder {
    public static final String TYPE = "instruct_embedding";
    private static final Logger logger = LogManager.getLogger(InstructEmbeddingProcessor.class);

    /**
     * Texts per model-service call, at most (less when the batch's share of the queue is smaller).
     * A big bulk is split into several calls, so that other work queued on the inference pool
     * (queries, smaller bulks) gets a turn between them. A document's texts stay in one call.
     */
    static final int MAX_TEXTS_PER_CALL = 256;

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
    /** The pack's identity, or null while its files are not installed. */
    private final String packIdentity;
    private final Supplier<Client> client;

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
        String packIdentity,
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
        this.packIdentity = packIdentity;
        this.fingerprint = fingerprint;
        this.client = client;
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

    /** The pack identity the processor embeds with, or null while the pack's files are not installed. */
    public String packIdentity() {
        return packIdentity;
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
        List<Pending> pending = new ArrayList<>(wrappers.size());
        Map<String, VectorFieldMappings> mappings = new HashMap<>();
        TextLimits limits = TextLimits.current(clusterService.getClusterSettings());
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
                        problem = TargetRecords.problem(String.valueOf(index), field.target(), targets.recorded(field.target()), modelId, packIdentity);
                    }
                    if (problem != null) {
                        throw new IllegalArgumentException(problem);
                    }
                }
                clearTargets(document, read, partial, targets);
                if (fields.isEmpty() == false) {
                    pending.add(new Pending(wrapper, fields, targets));
                }
            } catch (RuntimeException e) {
                fail(wrapper, e);
            }
        }
        if (pending.isEmpty()) {
            handler.accept(wrappers);
            return;
        }
        embedOrReuse(pending, wrappers, handler);
    }

    private void embedOrReuse(List<Pending> pending, List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        if (skipExisting) {
            reuseStoredVectors(pending, () -> embedPending(pending, wrappers, handler));
        } else {
            embedPending(pending, wrappers, handler);
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
     * skip_existing: one multi-get of the batch's stored documents; a field whose stored
     * fingerprint equals the fingerprint of its new text (same model, prompt, chunking and text)
     * keeps its stored vectors instead of being embedded. Reads run as the caller, so a caller who
     * may not read the index simply gets every field embedded.
     */
    private void reuseStoredVectors(List<Pending> pending, Runnable then) {
        MultiGetRequest request = new MultiGetRequest().realtime(true);
        List<Pending> asked = new ArrayList<>();
        String[] includes = fieldMap.values().stream()
            .flatMap(target -> java.util.stream.Stream.of(target, EmbeddingFingerprint.fieldFor(target)))
            .toArray(String[]::new);
        for (Pending document : pending) {
            IngestDocument ingest = document.wrapper.getIngestDocument();
            String index = ingest.getFieldValue(IngestDocument.Metadata.INDEX.getFieldName(), String.class, true);
            String id = ingest.getFieldValue(IngestDocument.Metadata.ID.getFieldName(), String.class, true);
            document.fingerprints = new ArrayList<>(document.fields.size());
            for (FieldTexts.Field field : document.fields) {
                document.fingerprints.add(fingerprint.of(field.texts(), field.array()));
            }
            if (index != null && id != null) {
                String routing = ingest.getFieldValue(IngestDocument.Metadata.ROUTING.getFieldName(), String.class, true);
                request.add(new MultiGetRequest.Item(index, id).routing(routing).fetchSourceContext(new FetchSourceContext(true, includes, null)));
                asked.add(document);
            }
        }
        if (asked.isEmpty()) {
            then.run();
            return;
        }
        // Not ActionListener.wrap: an exception thrown while embedding must not run the batch a second time.
        client.get().multiGet(request, new ActionListener<>() {
            @Override
            public void onResponse(MultiGetResponse response) {
                try {
                    MultiGetItemResponse[] items = response.getResponses();
                    for (int i = 0; i < items.length; i++) {
                        if (items[i].isFailed() == false && items[i].getResponse().isExists()) {
                            asked.get(i).reuseFrom(items[i].getResponse().getSourceAsMap());
                        }
                    }
                } catch (RuntimeException e) {
                    logger.debug("reading the stored vectors failed; embedding the rest of the batch", e);
                }
                then.run();
            }

            @Override
            public void onFailure(Exception e) {
                // reuse is an optimisation: without the stored documents, embed everything
                logger.debug("looking up stored vectors failed; embedding the whole batch", e);
                then.run();
            }
        });
    }

    private void embedPending(List<Pending> pending, List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        // the share is read at each start (the queue setting is dynamic); the call size once per batch
        CallWindow window = new CallWindow(this::queueShare, () -> handler.accept(wrappers));
        int callTexts = Math.min(MAX_TEXTS_PER_CALL, queueShare());
        if (chunking == null) {
            for (Pending document : pending) {
                document.pieces = Piece.whole(document);
            }
            embedAll(pending, window, callTexts);
        } else {
            List<Pending> toChunk = new ArrayList<>(pending.size());
            for (Pending document : pending) {
                if (document.textsToChunk().isEmpty()) {
                    document.pieces = Piece.chunks(document, List.of());  // every field reused or blank: nothing to chunk
                    write(document, List.of());
                } else {
                    toChunk.add(document);
                }
            }
            chunkFrom(splitIntoCalls(toChunk, document -> document.textsToChunk().size(), callTexts), 0, window, callTexts);
        }
        window.close();
    }

    /** The texts one batch may keep in the model's queue at once: see {@link CallWindow#shareOfQueue}. */
    private int queueShare() {
        return CallWindow.shareOfQueue(clusterService.getClusterSettings().get(InstructEmbedSettings.QUEUE_MAX_TEXTS));
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

    /**
     * Chunks one group of documents in the window, then adds their embedding calls and the chunking
     * of the next group: chunk calls run one after another (one bulk never holds more than one
     * inference thread for tokenising), and inference of a group overlaps the chunking of the next.
     */
    private void chunkFrom(List<List<Pending>> groups, int next, CallWindow window, int callTexts) {
        if (next == groups.size()) {
            return;
        }
        List<Pending> group = groups.get(next);
        List<String> texts = new ArrayList<>();
        for (Pending document : group) {
            texts.addAll(document.textsToChunk());
        }
        window.add(texts.size(), done -> models.chunk(new EmbeddingService.ChunkCall(modelId, texts, task, chunking), ActionListener.wrap(chunks -> {
            List<Pending> accepted = new ArrayList<>(group.size());
            int nextText = 0;
            for (Pending document : group) {
                int count = document.textsToChunk().size();
                try {
                    document.pieces = Piece.chunks(document, chunks.subList(nextText, nextText + count));
                    checkChunkLimit(document);
                    accepted.add(document);
                } catch (RuntimeException e) {
                    fail(document.wrapper, e);
                }
                nextText += count;
            }
            embedAll(accepted, window, callTexts);
            chunkFrom(groups, next + 1, window, callTexts);
            done.run();
        }, e -> {
            for (int i = next; i < groups.size(); i++) {
                for (Pending document : groups.get(i)) {
                    fail(document.wrapper, e);
                }
            }
            done.run();
        })));
    }

    private void checkChunkLimit(Pending document) {
        int limit = maxChunksPerDocument.get();
        int total = document.pieceCount();
        if (total <= limit) {
            return;
        }
        models.ingestCounters(modelId).overLimit();
        StringBuilder perField = new StringBuilder();
        for (int i = 0; i < document.fields.size(); i++) {
            perField.append(i == 0 ? "" : ", ").append("field [").append(document.fields.get(i).source()).append("]: ")
                .append(document.pieces.get(i).size());
        }
        throw new IllegalArgumentException(
            "the document gives " + total + " chunks (" + perField + "), over the limit of " + limit + " per document ("
                + InstructEmbedSettings.CHUNKING_MAX_CHUNKS.getKey() + "); raise the limit or chunking.max_tokens"
        );
    }

    /** Embeds the documents' pieces in calls of at most {@code callTexts} texts (one document's pieces stay together), added to the window. */
    private void embedAll(List<Pending> documents, CallWindow window, int callTexts) {
        List<Pending> toEmbed = new ArrayList<>(documents.size());
        for (Pending document : documents) {
            if (document.pieceCount() == 0) {
                write(document, List.of());  // every field reused, or only empty texts chunked
            } else {
                toEmbed.add(document);
            }
        }
        for (List<Pending> call : splitIntoCalls(toEmbed, Pending::pieceCount, callTexts)) {
            int texts = 0;
            for (Pending document : call) {
                texts += document.pieceCount();
            }
            window.add(texts, done -> embed(call, done));
        }
    }

    /** Consecutive documents in calls of at most {@code maxTexts} texts (a larger document alone); no call for no documents. */
    static <T> List<List<T>> splitIntoCalls(List<T> documents, java.util.function.ToIntFunction<T> size, int maxTexts) {
        List<List<T>> calls = new ArrayList<>();
        List<T> current = new ArrayList<>();
        int texts = 0;
        for (T document : documents) {
            int count = size.applyAsInt(document);
            if (current.isEmpty() == false && texts + count > maxTexts) {
                calls.add(current);
                current = new ArrayList<>();
                texts = 0;
            }
            current.add(document);
            texts += count;
        }
        if (current.isEmpty() == false) {
            calls.add(current);
        }
        return calls;
    }

    private void embed(List<Pending> documents, Runnable done) {
        List<String> texts = new ArrayList<>();
        for (Pending document : documents) {
            for (List<Piece> field : document.pieces) {
                for (Piece piece : field) {
                    texts.add(piece.text());
                }
            }
        }
        models.embed(new EmbeddingService.EmbedCall(modelId, texts, InputType.DOCUMENT, task, null), ActionListener.wrap(embeddings -> {
            int next = 0;
            for (Pending document : documents) {
                int count = document.pieceCount();
                write(document, embeddings.subList(next, next + count));
                next += count;
            }
            done.run();
        }, e -> {
            for (Pending document : documents) {
                fail(document.wrapper, e);
            }
            done.run();
        }));
    }

    /**
     * Writes a document's vectors, all of them or (when a text is too long) none. A document that
     * cannot take them (a target path that collides with its other fields) fails alone.
     */
    private void write(Pending document, List<Embedding> embeddings) {
        try {
            writeVectors(document, embeddings);
        } catch (RuntimeException e) {
            fail(document.wrapper, e);
        }
    }

    private void writeVectors(Pending document, List<Embedding> embeddings) {
        if (truncate == false) {
            int next = 0;
            for (int f = 0; f < document.fields.size(); f++) {
                FieldTexts.Field field = document.fields.get(f);
                for (int i = 0; i < document.pieces.get(f).size(); i++) {
                    Embedding embedding = embeddings.get(next++);
                    if (embedding.truncated()) {
                        String where = field.array() ? field.source() + "][" + i : field.source();
                        fail(
                            document.wrapper,
                            new IllegalArgumentException(
                                "field [" + where + "] is longer than the " + embedding.tokens() + " tokens model [" + modelId
                                    + "] takes, and truncate is false"
                            )
                        );
                        return;
                    }
                }
            }
        }
        IngestDocument ingestDocument = document.wrapper.getIngestDocument();
        int next = 0;
        int skipped = 0;
        int embedded = 0;
        for (int f = 0; f < document.fields.size(); f++) {
            FieldTexts.Field field = document.fields.get(f);
            List<Piece> pieces = document.pieces.get(f);
            String fingerprintField = EmbeddingFingerprint.fieldFor(field.target());
            if (fingerprints(document.targets, field.target())) {
                ingestDocument.setFieldValue(fingerprintField, fingerprint.of(field.texts(), field.array()));
            } else if (ingestDocument.hasField(fingerprintField)) {
                // vectors written without a fingerprint must never pass for ones that have it
                ingestDocument.removeField(fingerprintField);
            }
            if (document.reused(f)) {
                ingestDocument.setFieldValue(field.target(), document.reused.get(f));
                skipped += field.texts().size();
                continue;
            }
            embedded += field.texts().size();
            if (writesObjects(field)) {
                List<Map<String, Object>> objects = new ArrayList<>(pieces.size());
                for (Piece piece : pieces) {
                    Map<String, Object> object = new LinkedHashMap<>();
                    object.put(VectorFieldMappings.ARRAY_TEXT, piece.text());
                    if (piece.offsets() != null) {
                        object.put(VectorFieldMappings.CHUNK_OFFSETS, List.of(piece.offsets()[0], piece.offsets()[1]));
                    }
                    object.put(VectorFieldMappings.ARRAY_VECTOR, asList(embeddings.get(next++).vector()));
                    objects.add(object);
                }
                ingestDocument.setFieldValue(field.target(), objects);
            } else {
                ingestDocument.setFieldValue(field.target(), asList(embeddings.get(next++).vector()));
            }
        }
        if (chunking != null && embedded > 0) {
            models.ingestCounters(modelId).document(document.pieceCount());
        }
        if (skipExisting) {
            models.ingestCounters(modelId).skipExisting(skipped, embedded);
        }
    }

    private void fail(IngestDocumentWrapper wrapper, Exception e) {
        failDocument(wrapper, e);
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

    /** A text the model embeds: a whole source text, or one chunk of it with its place in the source. */
    record Piece(String text, int[] offsets) {
        /** Each field's texts whole; none for a field whose stored vectors are reused. */
        static List<List<Piece>> whole(Pending document) {
            List<List<Piece>> pieces = new ArrayList<>(document.fields.size());
            for (int f = 0; f < document.fields.size(); f++) {
                List<Piece> texts = new ArrayList<>();
                if (document.reused(f) == false) {
                    for (String text : document.fields.get(f).texts()) {
                        texts.add(new Piece(text, null));
                    }
                }
                pieces.add(texts);
            }
            return pieces;
        }

        /**
         * Each field's chunks, in order; the chunks of an array's texts follow one another, offsets
         * within their text. {@code chunksPerText} holds the chunks of {@link Pending#textsToChunk()};
         * a blank text has none (it is not sent to be chunked).
         */
        static List<List<Piece>> chunks(Pending document, List<List<TextChunker.Chunk>> chunksPerText) {
            List<List<Piece>> pieces = new ArrayList<>(document.fields.size());
            int next = 0;
            for (int f = 0; f < document.fields.size(); f++) {
                FieldTexts.Field field = document.fields.get(f);
                List<Piece> fieldPieces = new ArrayList<>();
                if (document.reused(f)) {
                    pieces.add(fieldPieces);
                    continue;
                }
                for (String text : field.texts()) {
                    if (TextDigest.blank(text)) {
                        continue;
                    }
                    for (TextChunker.Chunk chunk : chunksPerText.get(next)) {
                        fieldPieces.add(new Piece(chunk.text(text), new int[] { chunk.start(), chunk.end() }));
                    }
                    next++;
                }
                pieces.add(fieldPieces);
            }
            return pieces;
        }
    }

    /** One document on its way: its source fields and, once known, the pieces each field is embedded as. */
    private static final class Pending {
        final IngestDocumentWrapper wrapper;
        final List<FieldTexts.Field> fields;
        /** The mapping of the document's index. */
        final VectorFieldMappings targets;
        List<List<Piece>> pieces;
        /** skip_existing: each field's fingerprint, and its stored target value when that can be kept (else null). */
        List<String> fingerprints;
        List<Object> reused;

        Pending(IngestDocumentWrapper wrapper, List<FieldTexts.Field> fields, VectorFieldMappings targets) {
            this.wrapper = wrapper;
            this.fields = fields;
            this.targets = targets;
        }

        boolean reused(int field) {
            return reused != null && reused.get(field) != null;
        }

        /** Keeps the stored vectors of each field whose stored fingerprint is this text's. */
        void reuseFrom(Map<String, Object> stored) {
            reused = new ArrayList<>(fields.size());
            for (int f = 0; f < fields.size(); f++) {
                String target = fields.get(f).target();
                Object storedFingerprint = EmbeddingFingerprint.valueAt(stored, EmbeddingFingerprint.fieldFor(target));
                Object storedVectors = EmbeddingFingerprint.valueAt(stored, target);
                reused.add(fingerprints.get(f).equals(storedFingerprint) ? storedVectors : null);
            }
        }

        /**
         * Source texts to cut into chunks: those of fields whose vectors are not reused, less blank
         * ones (they give no chunk; asking the model would only load it for nothing).
         */
        List<String> textsToChunk() {
            List<String> texts = new ArrayList<>();
            for (int f = 0; f < fields.size(); f++) {
                if (reused(f) == false) {
                    for (String text : fields.get(f).texts()) {
                        if (TextDigest.blank(text) == false) {
                            texts.add(text);
                        }
                    }
                }
            }
            return texts;
        }

        int pieceCount() {
            int count = 0;
            for (List<Piece> field : pieces) {
                count += field.size();
            }
            return count;
        }
    }
}
