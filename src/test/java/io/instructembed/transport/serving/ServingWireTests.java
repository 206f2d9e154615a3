package io.instructembed.transport.serving;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.chunking.TextChunker;
import io.instructembed.model.DocumentCall;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService.EmbedCall;
import io.instructembed.pack.InputType;
import io.instructembed.support.WireRoundTrip;
import org.opensearch.ExceptionsHelper;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The serving actions' requests and responses survive the transport stream with random contents,
 * and a document's error inside a result keeps its class (where OpenSearch knows it), its status
 * and its message, so a caller answers a 400, 429 or 503 of a serving node as its own.
 */
public class ServingWireTests extends OpenSearchTestCase {

    public void testDocumentCallRoundTrip() throws IOException {
        for (int run = 0; run < 30; run++) {
            DocumentCall call = randomDocumentCall();
            DocumentCall copy = WireRoundTrip.copy(new EmbedDocumentsOnNodeRequest(call), EmbedDocumentsOnNodeRequest::new).call();
            // records of strings, lists, booleans and ints: equals compares every field
            assertEquals(call, copy);
        }
    }

    public void testChunkingOptionsRoundTrip() throws IOException {
        for (ChunkingMethod method : ChunkingMethod.values()) {
            for (Integer maxTokens : new Integer[] { null, ChunkingOptions.MIN_MAX_TOKENS, randomIntBetween(8, 100_000) }) {
                int overlap = maxTokens == null ? randomIntBetween(0, 1000) : randomIntBetween(0, maxTokens / 2);
                ChunkingOptions options = new ChunkingOptions(method, maxTokens, overlap);
                DocumentCall call = new DocumentCall("m", null, options, 10, true, List.of());
                assertEquals(options, WireRoundTrip.copy(new EmbedDocumentsOnNodeRequest(call), EmbedDocumentsOnNodeRequest::new).call().chunking());
            }
        }
    }

    public void testDocumentResultsRoundTrip() throws IOException {
        for (int run = 0; run < 30; run++) {
            List<DocumentResult> results = randomList(0, 8, ServingWireTests::randomResult);
            int queued = randomIntBetween(0, 100_000);
            long took = randomNonNegativeLong();
            EmbedDocumentsOnNodeResponse copy = WireRoundTrip.copy(new EmbedDocumentsOnNodeResponse(results, queued, took), EmbedDocumentsOnNodeResponse::new);
            assertEquals(queued, copy.queuedTexts());
            assertEquals(took, copy.servingNanos());
            assertEquals(results.size(), copy.results().size());
            for (int d = 0; d < results.size(); d++) {
                assertSameResult(results.get(d), copy.results().get(d));
            }
        }
    }

    public void testDocumentErrorsKeepClassStatusAndMessage() throws IOException {
        List<Exception> failures = List.of(
            new IllegalArgumentException("[body][2] is 9000 tokens long, more than model [m] takes (512) with [truncate] false"),
            new OpenSearchRejectedExecutionException("the inference queue of model [m] is full (4 texts waiting, limit 4); retry later"),
            new OpenSearchStatusException("model [m] is not available: the node is shutting down", RestStatus.SERVICE_UNAVAILABLE),
            new IllegalStateException("ONNX Runtime failed on this document's batch")
        );
        List<DocumentResult> results = new ArrayList<>();
        for (Exception failure : failures) {
            results.add(new DocumentResult(null, failure));
        }
        List<DocumentResult> copy = WireRoundTrip.copy(new EmbedDocumentsOnNodeResponse(results, 0, 0), EmbedDocumentsOnNodeResponse::new).results();
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(copy.get(0).failure()));
        assertEquals(RestStatus.TOO_MANY_REQUESTS, ExceptionsHelper.status(copy.get(1).failure()));
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, ExceptionsHelper.status(copy.get(2).failure()));
        assertEquals(RestStatus.INTERNAL_SERVER_ERROR, ExceptionsHelper.status(copy.get(3).failure()));
        for (int i = 0; i < failures.size(); i++) {
            assertSameResult(results.get(i), copy.get(i));
        }
    }

    /** An exception OpenSearch cannot name on the wire still keeps its status and its message. */
    public void testUnknownExceptionKeepsStatusAndMessage() throws IOException {
        Exception failure = new OpenSearchStatusException("no such task [x]", RestStatus.BAD_REQUEST) {};  // an anonymous subclass
        DocumentResult copy = WireRoundTrip.copy(new EmbedDocumentsOnNodeResponse(List.of(new DocumentResult(null, failure)), 3, 1), EmbedDocumentsOnNodeResponse::new)
            .results()
            .get(0);
        assertTrue(copy.failed());
        assertEquals(RestStatus.BAD_REQUEST, ExceptionsHelper.status(copy.failure()));
        assertTrue(copy.failure().getMessage(), copy.failure().getMessage().contains("no such task [x]"));
    }

    public void testEmbedCallRoundTrip() throws IOException {
        for (int run = 0; run < 30; run++) {
            EmbedCall call = new EmbedCall(
                randomAlphaOfLengthBetween(1, 20),
                randomList(1, 6, () -> randomUnicodeOfLengthBetween(0, 40)),
                randomFrom(InputType.values()),
                randomBoolean() ? randomAlphaOfLengthBetween(1, 12) : null,
                randomBoolean() ? randomUnicodeOfLengthBetween(0, 60) : null,
                randomBoolean() ? randomAlphaOfLength(22) : null
            );
            assertEquals(call, WireRoundTrip.copy(new EmbedTextsOnNodeRequest(call), EmbedTextsOnNodeRequest::new).call());
        }
    }

    public void testEmbeddingsRoundTrip() throws IOException {
        for (int run = 0; run < 30; run++) {
            List<Embedding> embeddings = randomList(0, 6, ServingWireTests::randomEmbedding);
            int queued = randomIntBetween(0, 100_000);
            long took = randomNonNegativeLong();
            EmbedTextsOnNodeResponse copy = WireRoundTrip.copy(new EmbedTextsOnNodeResponse(embeddings, queued, took), EmbedTextsOnNodeResponse::new);
            assertEquals(queued, copy.queuedTexts());
            assertEquals(took, copy.servingNanos());
            assertEquals(embeddings.size(), copy.embeddings().size());
            for (int i = 0; i < embeddings.size(); i++) {
                assertSameEmbedding(embeddings.get(i), copy.embeddings().get(i));
            }
        }
    }

    private static DocumentCall randomDocumentCall() {
        ChunkingOptions chunking = null;
        if (randomBoolean()) {
            Integer maxTokens = randomBoolean() ? null : randomIntBetween(ChunkingOptions.MIN_MAX_TOKENS, 2048);
            chunking = new ChunkingOptions(randomFrom(ChunkingMethod.values()), maxTokens, maxTokens == null ? randomIntBetween(0, 64) : randomIntBetween(0, maxTokens / 2));
        }
        List<DocumentCall.Document> documents = randomList(0, 6, () -> new DocumentCall.Document(randomList(0, 4, () -> new DocumentCall.Field(
            randomAlphaOfLengthBetween(1, 10) + (randomBoolean() ? "." + randomAlphaOfLength(4) : ""),
            randomBoolean(),
            randomList(0, 4, () -> randomBoolean() ? randomUnicodeOfLengthBetween(0, 80) : "")
        ))));
        return new DocumentCall(
            randomAlphaOfLengthBetween(1, 20),
            randomBoolean() ? randomAlphaOfLengthBetween(1, 12) : null,
            chunking,
            randomIntBetween(1, 10_000),
            randomBoolean(),
            documents,
            randomBoolean() ? randomAlphaOfLength(22) : null
        );
    }

    private static DocumentResult randomResult() {
        if (randomInt(4) == 0) {
            return new DocumentResult(null, randomFrom(
                new IllegalArgumentException("[" + randomAlphaOfLength(5) + "] " + randomUnicodeOfLengthBetween(0, 30)),
                new OpenSearchRejectedExecutionException(randomAlphaOfLength(12)),
                new OpenSearchStatusException(randomAlphaOfLength(12), RestStatus.SERVICE_UNAVAILABLE)
            ));
        }
        List<List<DocumentResult.Piece>> texts = randomList(0, 4, () -> {
            boolean chunked = randomBoolean();
            return randomList(1, 3, () -> {
                int start = randomIntBetween(0, 10_000);
                return new DocumentResult.Piece(chunked ? new TextChunker.Chunk(start, start + randomIntBetween(0, 5000)) : null, randomEmbedding());
            });
        });
        return new DocumentResult(texts, null);
    }

    private static Embedding randomEmbedding() {
        float[] vector = new float[randomIntBetween(0, 16)];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = randomFloat() * 2 - 1;
        }
        return new Embedding(vector, randomIntBetween(0, 8192), randomBoolean());
    }

    private static void assertSameResult(DocumentResult expected, DocumentResult actual) {
        assertEquals(expected.failed(), actual.failed());
        if (expected.failed()) {
            Exception sent = expected.failure();
            Exception got = actual.failure();
            assertEquals(ExceptionsHelper.status(sent), ExceptionsHelper.status(got));
            assertEquals(sent.getClass(), got.getClass());
            assertEquals(sent.getMessage(), got.getMessage());
            assertNull(actual.texts());
            return;
        }
        assertNull(actual.failure());
        assertEquals(expected.texts().size(), actual.texts().size());
        for (int t = 0; t < expected.texts().size(); t++) {
            List<DocumentResult.Piece> sent = expected.texts().get(t);
            List<DocumentResult.Piece> got = actual.texts().get(t);
            assertEquals(sent.size(), got.size());
            for (int p = 0; p < sent.size(); p++) {
                assertEquals(sent.get(p).offsets(), got.get(p).offsets());
                assertSameEmbedding(sent.get(p).embedding(), got.get(p).embedding());
            }
        }
    }

    private static void assertSameEmbedding(Embedding expected, Embedding actual) {
        assertArrayEquals(expected.vector(), actual.vector(), 0f);
        assertEquals(expected.tokens(), actual.tokens());
        assertEquals(expected.truncated(), actual.truncated());
    }
}
