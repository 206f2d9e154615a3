package io.instructembed.model;

import ai.onnxruntime.OrtException;
import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.support.ManualExecutor;
import io.instructembed.support.StandInEmbedder;
import io.instructembed.support.TestModelServices;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.core.action.ActionListener;
import org.opensearch.test.OpenSearchTestCase;
import org.junit.After;
import org.junit.BeforeClass;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One document call, end to end inside the model service: the real bge tokenizer and chunker, the
 * real scheduler (its workers run when the test says), and {@link StandInEmbedder} for inference,
 * which fails as ONNX Runtime does on token ids past its vocabulary (20,000: rare words).
 */
public class DocumentWorkTests extends OpenSearchTestCase {
    private static final String BGE = "bge-small-en-v1.5";
    private static final long VOCABULARY = 20_000;
    private static final ChunkingOptions EIGHT_TOKENS = new ChunkingOptions(ChunkingMethod.TOKENS, 8, 0);
    private static final String LONG = "the river runs over stones and the light falls on the water while the wind moves the trees";
    private static PackRegistry registry;
    private static ModelPack pack;
    private static ChunkBudgets budgets;

    private final List<LoadedModel> opened = new ArrayList<>();
    private final ManualExecutor manual = new ManualExecutor();
    private final StandInEmbedder embedder = new StandInEmbedder(384, VOCABULARY, Long.MAX_VALUE);
    private final IngestCounters ingest = new IngestCounters();
    /** Every piece of work the document calls queued for the model. */
    private final List<ModelWork> queued = new ArrayList<>();
    private LoadedModel model;
    private BatchScheduler scheduler;

    @BeforeClass
    public static void findPack() {
        NativeLibraries.configureDjl(Path.of(System.getProperty("java.io.tmpdir")));
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        registry = PackRegistry.scan(bundled.resolve("none"), bundled);
        pack = registry.get(BGE).orElseThrow();
        budgets = ChunkBudgets.learn(registry, ChunkBudgets.FROM_PACK_FILES);
    }

    @After
    public void closeModels() {
        for (LoadedModel loaded : opened) {
            loaded.close();
        }
    }

    private void start(int maxQueuedTexts) throws Exception {
        model = new LoadedModel(pack.manifest(), PackTokenizer.load(pack.tokenizerPath(), pack.manifest()), embedder, new BatchPlanner(4096, 32), "cpu");
        opened.add(model);
        scheduler = new BatchScheduler(model, manual, 1, maxQueuedTexts, 256);
    }

    private DocumentWork.Model documentModel(int maxQueuedTexts) {
        return new DocumentWork.Model(pack, work -> {
            queued.add(work);
            assertTrue("the scheduler takes work", work.offer(scheduler));
        }, () -> maxQueuedTexts, budgets, ingest, new FailureCounts(BGE, model.counters()));
    }

    /** Answers once: a second answer fails the test. */
    private static final class Answer implements ActionListener<List<DocumentResult>> {
        private List<DocumentResult> results;
        private Exception failure;
        private int answers;

        @Override
        public synchronized void onResponse(List<DocumentResult> response) {
            answers++;
            results = response;
        }

        @Override
        public synchronized void onFailure(Exception e) {
            answers++;
            failure = e;
        }

        synchronized List<DocumentResult> results() {
            assertEquals("answers", 1, answers);
            assertNull(String.valueOf(failure), failure);
            return results;
        }

        synchronized Exception failure() {
            assertEquals("answers", 1, answers);
            assertNull(results);
            return failure;
        }
    }

    private List<DocumentResult> run(DocumentCall call) {
        Answer answer = new Answer();
        DocumentWork.run(documentModel(4096), call, answer);
        manual.runAll();
        return answer.results();
    }

    private static DocumentCall call(ChunkingOptions chunking, int maxChunks, boolean truncate, DocumentCall.Document... documents) {
        return new DocumentCall(BGE, null, chunking, maxChunks, truncate, List.of(documents));
    }

    private static DocumentCall.Document document(DocumentCall.Field... fields) {
        return new DocumentCall.Document(List.of(fields));
    }

    private static DocumentCall.Field lone(String name, String text) {
        return new DocumentCall.Field(name, false, List.of(text));
    }

    private static DocumentCall.Field array(String name, String... texts) {
        return new DocumentCall.Field(name, true, List.of(texts));
    }

    /** What a text gives embedded alone with the document prompt, by a model of its own: a document call must change nothing. */
    private float[] alone(String text) throws OrtException {
        StandInEmbedder probe = new StandInEmbedder(384, VOCABULARY, Long.MAX_VALUE);
        String rendered = pack.manifest().render(List.of(text), InputType.DOCUMENT, null, null).get(0);
        return probe.embed(List.of(model.tokenize(rendered)))[0];
    }

    private static void assertSucceeded(DocumentResult result) {
        assertNull(String.valueOf(result.failure()), result.failure());
    }

    public void testDocumentsAreAnsweredInInputOrderAndShareOneInferenceCall() throws Exception {
        start(4096);
        List<DocumentResult> results = run(
            call(
                null,
                Integer.MAX_VALUE,
                true,
                document(lone("title", "a cat sat on the mat")),
                document(),
                document(array("tags", "bright snow", "quiet morning light"), lone("title", "the river runs"))
            )
        );

        assertEquals(3, results.size());
        DocumentResult first = results.get(0);
        assertSucceeded(first);
        assertEquals(1, first.texts().size());
        assertNull("embedded whole: no offsets", first.texts().get(0).get(0).offsets());
        assertArrayEquals(alone("a cat sat on the mat"), first.texts().get(0).get(0).embedding().vector(), 0f);
        assertSucceeded(results.get(1));
        assertEquals("a document without texts has none", List.of(), results.get(1).texts());
        DocumentResult third = results.get(2);
        assertSucceeded(third);
        List<String> texts = List.of("bright snow", "quiet morning light", "the river runs");
        assertEquals(3, third.texts().size());
        for (int t = 0; t < texts.size(); t++) {
            assertEquals(1, third.texts().get(t).size());
            assertArrayEquals(texts.get(t), alone(texts.get(t)), third.texts().get(t).get(0).embedding().vector(), 0f);
        }
        assertEquals("the documents' four texts shared one inference call", List.of(new StandInEmbedder.Call(4, embedder.calls().get(0).longest(), true)), embedder.calls());
        assertEquals("no chunking: no chunking totals", 0, ingest.documents());
    }

    public void testChunksCarryOffsetsIntoTheirSourceTextAndAreCounted() throws Exception {
        start(4096);
        List<DocumentResult> results = run(call(EIGHT_TOKENS, 100, true, document(lone("title", "A short title."), array("body", "", LONG))));

        DocumentResult result = results.get(0);
        assertSucceeded(result);
        assertEquals("one entry per text, the blank one too", 3, result.texts().size());
        assertEquals(1, result.texts().get(0).size());
        assertEquals("A short title.", result.texts().get(0).get(0).text("A short title."));
        assertEquals("a blank text gives no chunk", List.of(), result.texts().get(1));
        List<DocumentResult.Piece> chunks = result.texts().get(2);
        assertTrue(chunks.size() + " chunks", chunks.size() >= 3);
        int previousEnd = 0;
        for (DocumentResult.Piece chunk : chunks) {
            assertNotNull(chunk.offsets());
            assertEquals(LONG.substring(chunk.offsets().start(), chunk.offsets().end()), chunk.text(LONG));
            assertTrue("chunks follow one another", chunk.offsets().start() >= previousEnd);
            previousEnd = chunk.offsets().end();
            assertArrayEquals(chunk.text(LONG), alone(chunk.text(LONG)), chunk.embedding().vector(), 0f);
            assertFalse(chunk.embedding().truncated());
        }
        assertEquals(1, ingest.documents());
        assertEquals(1 + chunks.size(), ingest.chunks());
        assertEquals(0, ingest.overLimitDocuments());
    }

    public void testACallWithoutAnythingToEmbedQueuesNoWork() throws Exception {
        start(4096);
        List<DocumentResult> results = run(
            call(EIGHT_TOKENS, 100, true, document(), document(array("body", " ", "\u200B")), document(new DocumentCall.Field("title", false, List.of())))
        );

        assertEquals(3, results.size());
        for (DocumentResult result : results) {
            assertSucceeded(result);
        }
        assertEquals("blank texts give no chunks", List.of(List.of(), List.of()), results.get(1).texts());
        assertEquals("blank texts are not sent to be chunked: no chunk call, no inference", List.of(), queued);
        assertEquals(List.of(), embedder.calls());
        assertEquals("the document with (blank) texts counts, with no chunks", 1, ingest.documents());
        assertEquals(0, ingest.chunks());
    }

    public void testTheServiceAnswersACallWithoutTextsWithoutTheModel() {
        try (TestModelServices services = TestModelServices.bundled()) {
            PlainActionFuture<List<DocumentResult>> future = new PlainActionFuture<>();
            DocumentCall call = new DocumentCall("no-such-model", null, null, Integer.MAX_VALUE, true, List.of(document(), document(array("tags"))));
            services.service.embedDocuments(call, future);
            List<DocumentResult> results = future.actionGet(10, TimeUnit.SECONDS);
            assertEquals(2, results.size());
            assertEquals(List.of(), results.get(0).texts());
            assertEquals(LoadState.NOT_LOADED, services.service.status(BGE).state());

            PlainActionFuture<List<DocumentResult>> unknown = new PlainActionFuture<>();
            services.service.embedDocuments(new DocumentCall("no-such-model", null, null, 1, true, List.of(document(lone("title", "a text")))), unknown);
            Exception e = expectThrows(Exception.class, () -> unknown.actionGet(10, TimeUnit.SECONDS));
            assertTrue(e.getMessage(), e.getMessage().contains("model [no-such-model] not found"));
        }
    }

    public void testABadTextFailsItsOwnDocumentAloneWhileItsNeighboursAndAnotherCallerSucceed() throws Exception {
        start(4096);
        String bad = "a zeppelin over the river";
        long badId = model.tokenize(bad).ids()[2];
        assertTrue("the test needs a token past the stand-in's vocabulary", badId >= VOCABULARY);
        // another caller's work, queued first: the document call's texts share its round and its inference calls
        List<List<Embedding>> other = new ArrayList<>();
        scheduler.submit(List.of("quiet morning light"), WorkKind.DOCUMENT, ActionListener.wrap(other::add, e -> fail("the other caller failed: " + e)));
        Answer answer = new Answer();
        DocumentWork.run(
            documentModel(4096),
            call(null, Integer.MAX_VALUE, true, document(lone("title", "a cat sat on the mat")), document(array("tags", "bright snow", bad)), document(lone("title", "the river runs"))),
            answer
        );
        manual.runAll();

        List<DocumentResult> results = answer.results();
        assertSucceeded(results.get(0));
        assertArrayEquals(alone("a cat sat on the mat"), results.get(0).texts().get(0).get(0).embedding().vector(), 0f);
        Exception e = results.get(1).failure();
        assertTrue(String.valueOf(e), e instanceof OrtException);
        assertTrue(e.getMessage(), e.getMessage().contains("idx=" + badId + " must be within"));
        assertSucceeded(results.get(2));
        assertArrayEquals(alone("the river runs"), results.get(2).texts().get(0).get(0).embedding().vector(), 0f);
        assertEquals(1, other.size());
        assertArrayEquals(alone("quiet morning light"), other.get(0).get(0).vector(), 0f);
        assertEquals("all five texts were in the first inference call", 5, embedder.calls().get(0).rows());
        assertFalse(embedder.calls().get(0).succeeded());
        assertEquals("one failure, counted once", 1, model.counters().errors.sum());
    }

    public void testADocumentOverTheChunkLimitFailsAloneNamingEachFieldsChunks() throws Exception {
        start(4096);
        List<DocumentResult> results = run(
            call(EIGHT_TOKENS, 3, true, document(lone("title", "A short title."), new DocumentCall.Field("kept", true, List.of()), array("body", LONG)), document(lone("title", LONG.substring(0, 20))))
        );

        Exception e = results.get(0).failure();
        assertTrue(String.valueOf(e), e instanceof IllegalArgumentException);
        int bodyChunks = e.getMessage().contains("field [body]: ") ? Integer.parseInt(e.getMessage().replaceAll(".*field \\[body\\]: (\\d+).*", "$1")) : -1;
        assertTrue(e.getMessage(), bodyChunks >= 3);
        assertEquals(
            "the document gives " + (1 + bodyChunks) + " chunks (field [title]: 1, field [kept]: 0, field [body]: " + bodyChunks
                + "), over the limit of 3 per document (instruct_embed.chunking.max_chunks_per_document); raise the limit or chunking.max_tokens",
            e.getMessage()
        );
        assertSucceeded(results.get(1));
        assertEquals(1, ingest.overLimitDocuments());
        assertEquals("only the document within the limit was written", 1, ingest.documents());
        int embeddedRows = embedder.calls().stream().mapToInt(StandInEmbedder.Call::rows).sum();
        assertEquals("the refused document's chunks were never embedded", results.get(1).texts().get(0).size(), embeddedRows);
    }

    public void testATextTooLongWithTruncateFalseFailsItsDocumentNamingTheArrayEntry() throws Exception {
        start(4096);
        String tooLong = (LONG + " ").repeat(40);
        List<DocumentResult> results = run(call(null, Integer.MAX_VALUE, false, document(array("body", "short", tooLong)), document(lone("title", "short"))));

        Exception e = results.get(0).failure();
        assertTrue(String.valueOf(e), e instanceof IllegalArgumentException);
        assertEquals("field [body][1] is longer than the 512 tokens model [" + BGE + "] takes, and truncate is false", e.getMessage());
        assertSucceeded(results.get(1));

        List<DocumentResult> truncated = run(call(null, Integer.MAX_VALUE, true, document(array("body", "short", tooLong))));
        assertSucceeded(truncated.get(0));
        assertTrue(truncated.get(0).texts().get(1).get(0).embedding().truncated());
    }

    public void testAnUnknownTaskFailsTheWholeCallBeforeQueueing() throws Exception {
        start(4096);
        Answer answer = new Answer();
        DocumentWork.run(documentModel(4096), new DocumentCall(BGE, "nope", null, 1, true, List.of(document(lone("title", "a text")))), answer);
        Exception e = answer.failure();
        assertTrue(e.getMessage(), e.getMessage().contains("has no task [nope]"));
        assertEquals(List.of(), queued);
    }

    public void testACallKeepsAtMostHalfTheQueueInFlightAndIsNeverRefusedByItsOwnSize() throws Exception {
        start(8);  // a queue of 8 texts: one call holds at most 4 in flight
        List<DocumentCall.Document> documents = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            documents.add(document(lone("title", "document number " + d)));
        }
        Answer answer = new Answer();
        DocumentWork.run(documentModel(8), new DocumentCall(BGE, null, null, 1, true, documents), answer);

        assertEquals("only the first call started: the others wait for room", 1, queued.size());
        assertEquals(4, queued.get(0).texts());
        List<Integer> started = new ArrayList<>();
        while (manual.runNext()) {
            assertTrue(scheduler.queuedTexts() + " texts queued", scheduler.queuedTexts() <= 4);
        }
        for (ModelWork work : queued) {
            started.add(work.texts());
        }
        assertEquals(List.of(4, 4, 2), started);
        List<DocumentResult> results = answer.results();
        for (int d = 0; d < 10; d++) {
            assertSucceeded(results.get(d));
            assertArrayEquals(alone("document number " + d), results.get(d).texts().get(0).get(0).embedding().vector(), 0f);
        }
        assertEquals("none refused", 0, model.counters().rejections.sum());
    }
}
