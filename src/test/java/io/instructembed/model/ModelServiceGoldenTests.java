package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.support.GoldenVectors;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.TestModelServices;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.test.OpenSearchTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real bundled packs, run in-process on ONNX Runtime, against the golden vectors. */
public class ModelServiceGoldenTests extends OpenSearchTestCase {
    private static TestModelServices models;
    private static ModelService service;

    @BeforeClass
    public static void startService() {
        models = TestModelServices.bundled();
        service = models.service;
    }

    @AfterClass
    public static void stopService() {
        models.close();
        models = null;
        service = null;
    }

    private List<Embedding> embed(String model, List<String> texts, InputType type, String task) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        service.embed(new ModelService.EmbedCall(model, texts, type, task, null), future);
        return future.actionGet(120, TimeUnit.SECONDS);
    }

    public void testDocumentsMatchGoldenVectorsInOneBatchedCall() throws Exception {
        List<Golden> golden = GoldenVectors.documents();
        List<String> texts = golden.stream().map(Golden::text).toList();
        List<Embedding> embeddings = embed("bge-small-en-v1.5", texts, InputType.DOCUMENT, null);
        assertEquals(golden.size(), embeddings.size());
        for (int i = 0; i < golden.size(); i++) {
            double cosine = GoldenVectors.cosine(golden.get(i).vector(), embeddings.get(i).vector());
            assertTrue("text " + i + " [" + abbreviate(golden.get(i).text()) + "] cosine " + cosine, cosine >= 0.9999);
            assertEquals(384, embeddings.get(i).vector().length);
        }
        // the ~2,000-token text is cut at 512 tokens, and says so
        assertTrue(embeddings.stream().anyMatch(e -> e.truncated() && e.tokens() == 512));
    }

    public void testDocumentsMatchGoldenVectorsOneAtATime() throws Exception {
        for (Golden g : GoldenVectors.documents()) {
            Embedding e = embed("bge-small-en-v1.5", List.of(g.text()), InputType.DOCUMENT, null).get(0);
            double cosine = GoldenVectors.cosine(g.vector(), e.vector());
            assertTrue("[" + abbreviate(g.text()) + "] cosine " + cosine, cosine >= 0.9999);
        }
    }

    public void testQueriesUseTheRetrievalInstruction() throws Exception {
        List<Golden> golden = GoldenVectors.queries();
        List<String> texts = new ArrayList<>();
        for (Golden g : golden) {
            assertEquals("Represent this sentence for searching relevant passages: ", g.prefix());
            texts.add(g.text());
        }
        List<Embedding> embeddings = embed("bge-small-en-v1.5", texts, InputType.QUERY, "retrieval");
        for (int i = 0; i < golden.size(); i++) {
            double cosine = GoldenVectors.cosine(golden.get(i).vector(), embeddings.get(i).vector());
            assertTrue("query [" + golden.get(i).text() + "] cosine " + cosine, cosine >= 0.9999);
        }
        // the default task of the query side is retrieval too
        List<Embedding> byDefault = embed("bge-small-en-v1.5", texts, InputType.QUERY, null);
        for (int i = 0; i < golden.size(); i++) {
            assertArrayEquals(embeddings.get(i).vector(), byDefault.get(i).vector(), 1e-6f);
        }
    }

    public void testInt8PackStaysCloseToTheFp32Model() throws Exception {
        List<Golden> golden = GoldenVectors.documents();
        List<String> texts = golden.stream().map(Golden::text).toList();
        List<Embedding> embeddings = embed("bge-small-en-v1.5-int8", texts, InputType.DOCUMENT, null);
        for (int i = 0; i < golden.size(); i++) {
            double cosine = GoldenVectors.cosine(golden.get(i).vector(), embeddings.get(i).vector());
            // quantisation costs a little precision; a wrong pooling or prompt would cost far more
            assertTrue("int8 text " + i + " cosine " + cosine, cosine >= 0.95);
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
