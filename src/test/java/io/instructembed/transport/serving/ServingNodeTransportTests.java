package io.instructembed.transport.serving;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.model.DocumentCall;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService.EmbedCall;
import io.instructembed.model.ModelService;
import io.instructembed.model.ModelStatus;
import io.instructembed.pack.InputType;
import io.instructembed.support.TestModelServices;
import org.opensearch.ExceptionsHelper;
import org.opensearch.Version;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.telemetry.tracing.noop.NoopTracer;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.test.transport.MockTransportService;
import org.opensearch.threadpool.TestThreadPool;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.RemoteTransportException;
import org.opensearch.transport.TransportException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The serving actions between two real transport services on loopback (node A calls, node B
 * serves with the real handlers over a real model service and the bundled bge-small-en-v1.5): a
 * call sent to B gives the vectors B's own service gives, documents fail alone, B's 400, 429 and
 * 503 arrive as themselves, and B's queue comes back with each answer.
 */
public class ServingNodeTransportTests extends OpenSearchTestCase {
    private static final String BGE = "bge-small-en-v1.5";
    /** B's queue holds this many texts; a call that would go past it while others wait is refused. */
    private static final int MAX_QUEUED = 4;

    private ThreadPool threadPool;
    private MockTransportService nodeA;
    private MockTransportService nodeB;
    private TestModelServices modelsB;
    private ServingNodeClient client;
    private ServingCounters servedByB;

    @Override
    public void setUp() throws Exception {
        super.setUp();
        threadPool = new TestThreadPool(getTestName());
        nodeA = MockTransportService.createNewService(Settings.EMPTY, Version.CURRENT, threadPool, NoopTracer.INSTANCE);
        nodeB = MockTransportService.createNewService(Settings.EMPTY, Version.CURRENT, threadPool, NoopTracer.INSTANCE);
        // one inference thread, one worker: a test can hold B's pool and so fill B's queue for sure
        modelsB = TestModelServices.bundled(null, "auto", List.of(), 1, new ModelService.SchedulerConfig(1, MAX_QUEUED, 256));
        ActionFilters noFilters = new ActionFilters(Set.of());
        servedByB = new ServingCounters();
        new TransportEmbedDocumentsOnNodeAction(nodeB, noFilters, modelsB.service, servedByB);
        new TransportEmbedTextsOnNodeAction(nodeB, noFilters, modelsB.service, servedByB);
        for (MockTransportService node : List.of(nodeA, nodeB)) {
            node.start();
            node.acceptIncomingRequests();
        }
        nodeA.connectToNode(nodeB.getLocalNode());
        client = new ServingNodeClient(nodeA);
    }

    @Override
    public void tearDown() throws Exception {
        nodeA.close();
        nodeB.close();
        modelsB.close();
        ThreadPool.terminate(threadPool, 10, TimeUnit.SECONDS);
        super.tearDown();
    }

    public void testDocumentsGetTheVectorsOfALocalCallAndFailAlone() throws Exception {
        String sentences = "Rivers carry water to the sea. Mountains rise above the clouds. Forests cover the hills. "
            + "Deserts are dry and wide. Glaciers move slowly down the valleys. Lakes lie still in the morning.";
        DocumentCall call = new DocumentCall(
            BGE,
            null,
            new ChunkingOptions(ChunkingMethod.SENTENCES, 12, 0),
            3,
            true,
            List.of(
                document(new DocumentCall.Field("title", false, List.of("The rivers of Europe")), new DocumentCall.Field("tags", true, List.of("water", "sea"))),
                document(new DocumentCall.Field("body", false, List.of(sentences))),  // more than 3 chunks: this document fails alone
                document(new DocumentCall.Field("empty", false, List.of())),
                document(new DocumentCall.Field("body", false, List.of("Mountains rise above the clouds.")))
            )
        );
        Served<List<DocumentResult>> remote = sendDocuments(call);
        PlainActionFuture<List<DocumentResult>> localFuture = new PlainActionFuture<>();
        modelsB.service.embedDocuments(call, localFuture);
        List<DocumentResult> local = localFuture.actionGet(120, TimeUnit.SECONDS);

        assertEquals(nodeB.getLocalNode(), remote.node());
        assertEquals("B is idle once it answered", 0, remote.queuedTexts());
        assertEquals(local.size(), remote.results().size());
        for (int d = 0; d < local.size(); d++) {
            DocumentResult expected = local.get(d);
            DocumentResult actual = remote.results().get(d);
            assertEquals("document " + d, expected.failed(), actual.failed());
            if (expected.failed()) {
                continue;
            }
            assertEquals(expected.texts().size(), actual.texts().size());
            for (int t = 0; t < expected.texts().size(); t++) {
                assertEquals(expected.texts().get(t).size(), actual.texts().get(t).size());
                for (int p = 0; p < expected.texts().get(t).size(); p++) {
                    DocumentResult.Piece want = expected.texts().get(t).get(p);
                    DocumentResult.Piece got = actual.texts().get(t).get(p);
                    assertEquals(want.offsets(), got.offsets());
                    assertEquals(want.embedding().tokens(), got.embedding().tokens());
                    assertEquals(want.embedding().truncated(), got.embedding().truncated());
                    assertEquals(384, got.embedding().vector().length);
                    double cosine = cosine(want.embedding().vector(), got.embedding().vector());
                    assertTrue("document " + d + " text " + t + " piece " + p + ": cosine " + cosine, cosine >= 0.9999);
                }
            }
        }
        assertFalse(remote.results().get(0).failed());
        assertEquals(3, remote.results().get(0).texts().size());  // title, and the two tags
        assertTrue("the long body goes over 3 chunks and fails its own document", remote.results().get(1).failed());
        assertEquals(0, remote.results().get(2).texts().size());
        assertFalse(remote.results().get(3).failed());
        Exception failure = remote.results().get(1).failure();
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(failure));
        assertEquals(local.get(1).failure().getClass(), failure.getClass());
        assertEquals(local.get(1).failure().getMessage(), failure.getMessage());
    }

    public void testTextsGetTheVectorsOfALocalCall() throws Exception {
        EmbedCall call = new EmbedCall(BGE, List.of("rivers of europe", "", "Ünïcödé ✓"), InputType.QUERY, "retrieval", null);
        Served<List<Embedding>> remote = sendTexts(call);
        PlainActionFuture<List<Embedding>> localFuture = new PlainActionFuture<>();
        modelsB.service.embed(call, localFuture);
        List<Embedding> local = localFuture.actionGet(120, TimeUnit.SECONDS);
        assertEquals(0, remote.queuedTexts());
        assertEquals(local.size(), remote.results().size());
        for (int i = 0; i < local.size(); i++) {
            assertEquals(local.get(i).tokens(), remote.results().get(i).tokens());
            assertTrue(cosine(local.get(i).vector(), remote.results().get(i).vector()) >= 0.9999);
        }
    }

    /** A whole call that B refuses as bad input arrives as B's own exception, not wrapped. */
    public void testBadInputArrivesAsA400() throws Exception {
        EmbedCall call = new EmbedCall(BGE, List.of("a"), InputType.QUERY, "dancing", null);
        Exception remote = textsFailure(call);
        Exception expected = ServingNodeTransportTests.<List<Embedding>>failureOf(local -> modelsB.service.embed(call, local));
        assertFalse(remote instanceof RemoteTransportException);
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(remote));
        assertEquals(expected.getClass(), remote.getClass());
        assertEquals(expected.getMessage(), remote.getMessage());

        DocumentCall documents = new DocumentCall("no-such-model", null, null, 10, true, List.of(document(new DocumentCall.Field("f", false, List.of("a")))));
        Exception unknown = documentsFailure(documents);
        assertEquals(RestStatus.NOT_FOUND, ExceptionsHelper.status(unknown));
        assertTrue(unknown.getMessage(), unknown.getMessage().contains("no-such-model"));
    }

    /**
     * With B's only inference thread held and its queue holding texts of a local call, B answers a
     * call with nothing to embed at once with that queue, and refuses a call that would go past
     * it: the 429 arrives as a 429.
     */
    public void testQueueDepthAndRefusalComeBackFromTheServingNode() throws Exception {
        PlainActionFuture<ModelStatus> loaded = new PlainActionFuture<>();
        modelsB.service.load(BGE, loaded);
        loaded.actionGet(120, TimeUnit.SECONDS);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        modelsB.executor.execute(() -> {
            held.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        PlainActionFuture<List<Embedding>> waiting = new PlainActionFuture<>();
        try {
            assertTrue(held.await(30, TimeUnit.SECONDS));
            modelsB.service.embed(new EmbedCall(BGE, List.of("one", "two", "three"), InputType.DOCUMENT, null, null), waiting);
            assertEquals(3, modelsB.service.queuedTexts(BGE));

            DocumentCall nothing = new DocumentCall(BGE, null, null, 10, true, List.of(document(new DocumentCall.Field("f", false, List.of()))));
            assertEquals("B's queue, as B counted it", 3, sendDocuments(nothing).queuedTexts());

            Exception refused = textsFailure(new EmbedCall(BGE, List.of("four", "five"), InputType.DOCUMENT, null, null));
            assertEquals(RestStatus.TOO_MANY_REQUESTS, ExceptionsHelper.status(refused));
            assertTrue(refused.getClass().getName(), refused instanceof OpenSearchRejectedExecutionException);
            assertTrue(refused.getMessage(), refused.getMessage().contains("the inference queue of model [" + BGE + "] is full"));
        } finally {
            release.countDown();
        }
        assertEquals(3, waiting.actionGet(120, TimeUnit.SECONDS).size());
        assertEquals(0, sendTexts(new EmbedCall(BGE, List.of("six"), InputType.DOCUMENT, null, null)).queuedTexts());
    }

    public void testClosedModelServiceArrivesAsA503() throws Exception {
        modelsB.service.close();
        Exception closed = textsFailure(new EmbedCall(BGE, List.of("a"), InputType.DOCUMENT, null, null));
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, ExceptionsHelper.status(closed));
        assertTrue(closed.getMessage(), closed.getMessage().contains("shutting down"));
    }

    /**
     * A node that serves itself goes through its transport service too (the direct channel, which
     * the security plugin treats as internal like a peer's request): the same results, and its
     * failures unwrapped the same way.
     */
    public void testTheCallingNodeServesItselfThroughTheDirectChannel() throws Exception {
        ActionFilters noFilters = new ActionFilters(Set.of());
        new TransportEmbedTextsOnNodeAction(nodeA, noFilters, modelsB.service, servedByB);
        EmbedCall call = new EmbedCall(BGE, List.of("rivers of europe"), InputType.DOCUMENT, null, null);
        PlainActionFuture<Served<List<Embedding>>> self = new PlainActionFuture<>();
        client.embed(nodeA.getLocalNode(), call, self);
        Served<List<Embedding>> served = self.actionGet(120, TimeUnit.SECONDS);
        assertEquals(nodeA.getLocalNode(), served.node());
        assertTrue(cosine(sendTexts(call).results().get(0).vector(), served.results().get(0).vector()) >= 0.9999);

        EmbedCall bad = new EmbedCall(BGE, List.of("a"), InputType.QUERY, "dancing", null);
        Exception failure = ServingNodeTransportTests.<Served<List<Embedding>>>failureOf(listener -> client.embed(nodeA.getLocalNode(), bad, listener));
        assertFalse(failure instanceof RemoteTransportException);
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(failure));
        assertEquals(textsFailure(bad).getMessage(), failure.getMessage());
    }

    /** A node that is gone answers nothing: the caller gets the transport's own exception, which a router may retry elsewhere. */
    public void testAGoneNodeArrivesAsATransportFailure() throws Exception {
        nodeB.close();
        Exception gone = textsFailure(new EmbedCall(BGE, List.of("a"), InputType.DOCUMENT, null, null));
        assertTrue(gone.getClass().getName(), gone instanceof TransportException);
        assertFalse(gone instanceof RemoteTransportException);
    }

    private Served<List<DocumentResult>> sendDocuments(DocumentCall call) {
        PlainActionFuture<Served<List<DocumentResult>>> future = new PlainActionFuture<>();
        client.embedDocuments(nodeB.getLocalNode(), call, future);
        return future.actionGet(120, TimeUnit.SECONDS);
    }

    private Served<List<Embedding>> sendTexts(EmbedCall call) {
        PlainActionFuture<Served<List<Embedding>>> future = new PlainActionFuture<>();
        client.embed(nodeB.getLocalNode(), call, future);
        return future.actionGet(120, TimeUnit.SECONDS);
    }

    private Exception textsFailure(EmbedCall call) throws Exception {
        return ServingNodeTransportTests.<Served<List<Embedding>>>failureOf(listener -> client.embed(nodeB.getLocalNode(), call, listener));
    }

    private Exception documentsFailure(DocumentCall call) throws Exception {
        return ServingNodeTransportTests.<Served<List<DocumentResult>>>failureOf(listener -> client.embedDocuments(nodeB.getLocalNode(), call, listener));
    }

    /** The exception the listener got, exactly as it got it (a future's get would wrap it). */
    private static <T> Exception failureOf(java.util.function.Consumer<org.opensearch.core.action.ActionListener<T>> call) throws Exception {
        PlainActionFuture<T> future = new PlainActionFuture<>();
        call.accept(future);
        ExecutionException e = expectThrows(ExecutionException.class, () -> future.get(120, TimeUnit.SECONDS));
        return (Exception) e.getCause();
    }

    private static DocumentCall.Document document(DocumentCall.Field... fields) {
        return new DocumentCall.Document(new ArrayList<>(List.of(fields)));
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
