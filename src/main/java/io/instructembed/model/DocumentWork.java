package io.instructembed.model;

import io.instructembed.chunking.TextChunker;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.writerule.TextDigest;
import org.opensearch.core.action.ActionListener;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * Runs one {@link DocumentCall}: cuts its texts into chunks when asked, checks each document's
 * chunk limit, embeds, and answers each document in input order with its pieces or its own error.
 * <p>
 * The call becomes a few model calls rather than one per document: documents go in calls of at
 * most {@link CallSplitter#MAX_TEXTS_PER_CALL} texts (one document's texts together, as one group
 * of a grouped job, so a bad text fails its own document only, never a neighbour or another
 * caller's work in the same inference batch). A {@link CallWindow} keeps at most half of the
 * model's queue in flight for one document call, so a bulk on an idle node is never refused (429)
 * by its own size. Chunk calls run one after another (one bulk never holds more than one inference
 * thread for tokenising), and the inference of one group of documents overlaps the chunking of the
 * next. A document without texts (or, chunked, with blank texts only) costs no model call.
 */
final class DocumentWork {

    /**
     * What a document call needs of its model on this node.
     *
     * @param queue          where the model's work queues (its slot, which loads it first when needed)
     * @param maxQueuedTexts {@code instruct_embed.queue.max_texts}, read at each use (a dynamic setting)
     */
    record Model(
        ModelPack pack,
        Consumer<ModelWork> queue,
        IntSupplier maxQueuedTexts,
        ChunkBudgets budgets,
        IngestCounters ingest,
        FailureCounts failures
    ) {}

    private final Model model;
    private final DocumentCall call;
    /** Null when texts are embedded whole. */
    private final DocumentChunker chunker;
    private final AtomicReferenceArray<DocumentResult> results;
    private final ActionListener<List<DocumentResult>> listener;
    private CallWindow window;

    private DocumentWork(Model model, DocumentCall call, ActionListener<List<DocumentResult>> listener) {
        this.model = model;
        this.call = call;
        this.chunker = call.chunking() == null ? null : new DocumentChunker(model.pack(), call.task(), call.chunking(), model.budgets());
        this.results = new AtomicReferenceArray<>(call.documents().size());
        this.listener = listener;
    }

    /** Whether no document of the call has a text: it is answered without the model. */
    static boolean nothingToEmbed(DocumentCall call) {
        for (DocumentCall.Document document : call.documents()) {
            if (document.hasTexts()) {
                return false;
            }
        }
        return true;
    }

    /** The answer to a call without texts: every document embedded as nothing. */
    static List<DocumentResult> empty(DocumentCall call) {
        List<DocumentResult> empty = new ArrayList<>(call.documents().size());
        for (int d = 0; d < call.documents().size(); d++) {
            empty.add(DocumentResult.of(List.of()));
        }
        return empty;
    }

    /**
     * Starts the call; answers {@code listener} once, with one result per document, after its last
     * model call, or with a failure of the whole call (an unknown task) before queueing anything.
     */
    static void run(Model model, DocumentCall call, ActionListener<List<DocumentResult>> listener) {
        try {
            DocumentChunker.renderDocument(model.pack(), "", call.task());  // an unknown task fails here, before queueing
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        new DocumentWork(model, call, listener).start();
    }

    private void start() {
        List<Doc> docs = new ArrayList<>();
        for (int d = 0; d < call.documents().size(); d++) {
            DocumentCall.Document document = call.documents().get(d);
            if (document.hasTexts()) {
                docs.add(new Doc(d, document));
            } else {
                results.set(d, DocumentResult.of(List.of()));
            }
        }
        // the share is read at each start (the queue setting is dynamic); the call size once per document call
        window = new CallWindow(this::queueShare, this::answer);
        int callTexts = CallSplitter.textsPerCall(queueShare());
        if (chunker == null) {
            embedAll(docs, callTexts);
        } else {
            List<Doc> toChunk = new ArrayList<>(docs.size());
            for (Doc doc : docs) {
                if (doc.textsToChunk.isEmpty()) {
                    doc.chunked(List.of());  // blank texts only: nothing to chunk, nothing to load the model for
                    finish(doc, List.of());
                } else {
                    toChunk.add(doc);
                }
            }
            chunkFrom(CallSplitter.split(toChunk, doc -> doc.textsToChunk.size(), callTexts), 0, callTexts);
        }
        window.close();
    }

    /** The texts one document call may keep in the model's queue at once: see {@link CallWindow#shareOfQueue}. */
    private int queueShare() {
        return CallWindow.shareOfQueue(model.maxQueuedTexts().getAsInt());
    }

    /**
     * Chunks one group of documents in the window, then adds their embedding calls and the
     * chunking of the next group. A failed chunk call fails its group and every later one.
     */
    private void chunkFrom(List<List<Doc>> groups, int next, int callTexts) {
        if (next == groups.size()) {
            return;
        }
        List<Doc> group = groups.get(next);
        List<String> texts = new ArrayList<>();
        for (Doc doc : group) {
            texts.addAll(doc.textsToChunk);
        }
        window.add(texts.size(), done -> model.queue().accept(new TaskWork<>(texts.size(), loaded -> chunker.cut(loaded, texts), model.failures().counted("chunking", new ActionListener<>() {
            @Override
            public void onResponse(List<List<TextChunker.Chunk>> chunks) {
                try {
                    List<Doc> accepted = new ArrayList<>(group.size());
                    int nextText = 0;
                    for (Doc doc : group) {
                        int count = doc.textsToChunk.size();
                        doc.chunked(chunks.subList(nextText, nextText + count));
                        nextText += count;
                        IllegalArgumentException overLimit = ChunkLimit.check(doc.document, doc.chunksPerField(), call.maxChunksPerDocument());
                        if (overLimit == null) {
                            accepted.add(doc);
                        } else {
                            model.ingest().overLimit();
                            fail(doc, overLimit);
                        }
                    }
                    embedAll(accepted, callTexts);
                    chunkFrom(groups, next + 1, callTexts);
                } finally {
                    done.run();
                }
            }

            @Override
            public void onFailure(Exception e) {
                for (int g = next; g < groups.size(); g++) {
                    for (Doc doc : groups.get(g)) {
                        fail(doc, e);
                    }
                }
                done.run();
            }
        }))));
    }

    /** Embeds the documents' pieces in calls of at most {@code callTexts} texts (one document's pieces together), added to the window. */
    private void embedAll(List<Doc> docs, int callTexts) {
        List<Doc> toEmbed = new ArrayList<>(docs.size());
        for (Doc doc : docs) {
            if (doc.pieceCount() == 0) {
                finish(doc, List.of());  // only empty texts chunked
            } else {
                toEmbed.add(doc);
            }
        }
        for (List<Doc> batch : CallSplitter.split(toEmbed, Doc::pieceCount, callTexts)) {
            int texts = 0;
            for (Doc doc : batch) {
                texts += doc.pieceCount();
            }
            window.add(texts, done -> embed(batch, done));
        }
    }

    private void embed(List<Doc> batch, Runnable done) {
        List<List<String>> groups = new ArrayList<>(batch.size());
        for (Doc doc : batch) {
            groups.add(model.pack().manifest().render(doc.pieceTexts(), InputType.DOCUMENT, call.task(), null));
        }
        model.queue().accept(new GroupedEmbedWork(groups, WorkKind.DOCUMENT, model.failures().counted("embedding", new ActionListener<>() {
            @Override
            public void onResponse(List<BatchScheduler.GroupResult> answers) {
                try {
                    // a failure counts once, as a failed call would, though it may fail several documents (the model went away)
                    Set<Exception> counted = Collections.newSetFromMap(new IdentityHashMap<>());
                    for (int d = 0; d < batch.size(); d++) {
                        BatchScheduler.GroupResult answer = answers.get(d);
                        if (answer.failure() != null) {
                            if (counted.add(answer.failure())) {
                                model.failures().count("embedding", answer.failure());
                            }
                            fail(batch.get(d), answer.failure());
                        } else {
                            finish(batch.get(d), answer.embeddings());
                        }
                    }
                } finally {
                    done.run();
                }
            }

            @Override
            public void onFailure(Exception e) {
                for (Doc doc : batch) {
                    fail(doc, e);
                }
                done.run();
            }
        })));
    }

    /**
     * A document's pieces with their vectors, all of them or (a text too long, truncate false)
     * none: that document fails, naming the field (and an array's entry).
     */
    private void finish(Doc doc, List<Embedding> embeddings) {
        List<List<DocumentResult.Piece>> texts = new ArrayList<>(doc.texts.size());
        int next = 0;
        int text = 0;
        for (DocumentCall.Field field : doc.document.fields()) {
            int inField = 0;
            for (int t = 0; t < field.texts().size(); t++, text++) {
                List<TextChunker.Chunk> spans = doc.spans == null ? null : doc.spans.get(text);
                int count = spans == null ? 1 : spans.size();
                List<DocumentResult.Piece> pieces = new ArrayList<>(count);
                for (int p = 0; p < count; p++, inField++) {
                    Embedding embedding = embeddings.get(next++);
                    if (call.truncate() == false && embedding.truncated()) {
                        String where = field.array() ? field.name() + "][" + inField : field.name();
                        fail(
                            doc,
                            new IllegalArgumentException(
                                "field [" + where + "] is longer than the " + embedding.tokens() + " tokens model [" + call.modelId()
                                    + "] takes, and truncate is false"
                            )
                        );
                        return;
                    }
                    pieces.add(new DocumentResult.Piece(spans == null ? null : spans.get(p), embedding));
                }
                texts.add(pieces);
            }
        }
        if (chunker != null) {
            model.ingest().document(doc.pieceCount());
        }
        results.set(doc.index, DocumentResult.of(texts));
    }

    private void fail(Doc doc, Exception e) {
        results.set(doc.index, DocumentResult.failed(e));
    }

    /** Once every model call of the document call has answered. */
    private void answer() {
        List<DocumentResult> answer = new ArrayList<>(results.length());
        for (int d = 0; d < results.length(); d++) {
            DocumentResult result = results.get(d);
            // a document left unanswered would be a bug here; it fails rather than passing for one with no vectors
            answer.add(result != null ? result : DocumentResult.failed(new IllegalStateException("document [" + d + "] of the call was not answered")));
        }
        listener.onResponse(answer);
    }

    /** One document on its way: its texts over all fields, and once known, the chunks of each. */
    private static final class Doc {
        final int index;
        final DocumentCall.Document document;
        final List<String> texts = new ArrayList<>();
        /** Texts to cut into chunks: blank ones give none, and asking the model would only load it for nothing. */
        final List<String> textsToChunk = new ArrayList<>();
        /** Per text, its chunks; null while (or when) texts are embedded whole. */
        List<List<TextChunker.Chunk>> spans;

        Doc(int index, DocumentCall.Document document) {
            this.index = index;
            this.document = document;
            for (DocumentCall.Field field : document.fields()) {
                for (String text : field.texts()) {
                    texts.add(text);
                    if (TextDigest.blank(text) == false) {
                        textsToChunk.add(text);
                    }
                }
            }
        }

        /** Takes the chunks of {@link #textsToChunk}, in order; a blank text gets none. */
        void chunked(List<List<TextChunker.Chunk>> chunksOfTextsToChunk) {
            spans = new ArrayList<>(texts.size());
            int next = 0;
            for (String text : texts) {
                spans.add(TextDigest.blank(text) ? List.of() : chunksOfTextsToChunk.get(next++));
            }
        }

        int pieceCount() {
            if (spans == null) {
                return texts.size();
            }
            int count = 0;
            for (List<TextChunker.Chunk> chunks : spans) {
                count += chunks.size();
            }
            return count;
        }

        int[] chunksPerField() {
            int[] counts = new int[document.fields().size()];
            int text = 0;
            for (int f = 0; f < counts.length; f++) {
                for (int t = 0; t < document.fields().get(f).texts().size(); t++, text++) {
                    counts[f] += spans.get(text).size();
                }
            }
            return counts;
        }

        /** The texts the model embeds: each text whole, or each chunk's text. */
        List<String> pieceTexts() {
            if (spans == null) {
                return texts;
            }
            List<String> pieces = new ArrayList<>(pieceCount());
            for (int t = 0; t < texts.size(); t++) {
                for (TextChunker.Chunk chunk : spans.get(t)) {
                    pieces.add(chunk.text(texts.get(t)));
                }
            }
            return pieces;
        }
    }
}
