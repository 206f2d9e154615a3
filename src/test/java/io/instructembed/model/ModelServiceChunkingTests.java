package io.instructembed.model;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.chunking.TextChunker;
import io.instructembed.pack.InputType;
import io.instructembed.support.GoldenVectors;
import io.instructembed.support.StandInModel;
import io.instructembed.support.TestModelServices;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.test.OpenSearchTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Chunking with the packs' real tokenizers: the prompt is accounted for so the model never cuts a
 * chunk, offsets point into the source (also past emoji and in Japanese), and the default size is
 * what the pack takes after its document prompt.
 */
public class ModelServiceChunkingTests extends OpenSearchTestCase {
    private static final String BGE = "bge-small-en-v1.5";
    private static final String SARASHINA = "sarashina-embedding-v2-1b";
    private static TestModelServices models;
    private static ModelService service;

    @BeforeClass
    public static void start() {
        models = TestModelServices.bundled(StandInModel.packsDir(), "auto", List.of(), 1, 1);
        service = models.service;
    }

    @AfterClass
    public static void stop() {
        models.close();
        models = null;
        service = null;
    }

    /** Each text's chunks, through the service's document call (one document, one array field of the texts). */
    private static List<List<TextChunker.Chunk>> chunk(String model, List<String> texts, String task, ChunkingOptions options) {
        DocumentResult result = chunkedDocument(model, texts, task, options);
        if (result.failed()) {
            throw new AssertionError("the document failed", result.failure());
        }
        return result.texts().stream().map(pieces -> pieces.stream().map(DocumentResult.Piece::offsets).toList()).toList();
    }

    private static DocumentResult chunkedDocument(String model, List<String> texts, String task, ChunkingOptions options) {
        DocumentCall.Document document = new DocumentCall.Document(List.of(new DocumentCall.Field("body", true, texts)));
        PlainActionFuture<List<DocumentResult>> future = new PlainActionFuture<>();
        service.embedDocuments(new DocumentCall(model, task, options, Integer.MAX_VALUE, true, List.of(document)), future);
        return future.actionGet(120, TimeUnit.SECONDS).get(0);
    }

    private static List<Embedding> embed(String model, List<String> texts, String task) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        service.embed(new ModelService.EmbedCall(model, texts, InputType.DOCUMENT, task, null), future);
        return future.actionGet(120, TimeUnit.SECONDS);
    }

    private static String longestGoldenText() throws Exception {
        return GoldenVectors.documents().stream().map(GoldenVectors.Golden::text).max(Comparator.comparingInt(String::length)).orElseThrow();
    }

    public void testBudgetIsMaxTokensLessThePromptAndSpecialTokens() throws Exception {
        // known from the start: nothing is loaded when they are asked for (issue #21, item 4)
        // bge: bare document text between [CLS] and [SEP]
        assertEquals(510, service.knownChunkBudget(BGE, null).getAsInt());
        assertEquals("an asymmetric task documents with the document prompt", 510, service.knownChunkBudget(BGE, "retrieval").getAsInt());
        // sarashina (stand-in tokenizer: <s> text : ...): the document prompt "text: " takes two tokens
        assertEquals(8192 - 3, service.knownChunkBudget(SARASHINA, null).getAsInt());
        // a symmetric task renders documents with the longer query prompt: a smaller budget
        assertTrue(service.knownChunkBudget(SARASHINA, "sts").getAsInt() < 8192 - 3);
        assertTrue("an unknown task has none", service.knownChunkBudget(SARASHINA, "dancing").isEmpty());
    }

    public void testDefaultChunksOfALongTextAreNeverTruncatedByTheModel() throws Exception {
        String text = longestGoldenText();
        for (ChunkingMethod method : ChunkingMethod.values()) {
            List<TextChunker.Chunk> chunks = chunk(BGE, List.of(text), null, new ChunkingOptions(method, null, 0)).get(0);
            assertTrue(method + " gives " + chunks.size() + " chunks", chunks.size() >= 4);
            List<String> texts = chunks.stream().map(c -> c.text(text)).toList();
            List<Embedding> embeddings = embed(BGE, texts, null);
            int previousEnd = 0;
            for (int i = 0; i < chunks.size(); i++) {
                assertFalse(method + " chunk " + i + " was truncated", embeddings.get(i).truncated());
                assertTrue(embeddings.get(i).tokens() <= 512);
                assertEquals(texts.get(i), text.substring(chunks.get(i).start(), chunks.get(i).end()));
                assertTrue("no gap holds more than whitespace", text.substring(previousEnd, chunks.get(i).start()).isBlank());
                previousEnd = chunks.get(i).end();
            }
            assertTrue(text.substring(previousEnd).isBlank());
            // packing fills chunks: all but the last are well used
            assertTrue(method + " first chunk " + embeddings.get(0).tokens(), embeddings.get(0).tokens() > 400);
        }
    }

    public void testSmallChunksWithOverlapAndAPromptStayWithinTheirSize() throws Exception {
        String text = longestGoldenText();
        ChunkingOptions options = new ChunkingOptions(ChunkingMethod.TOKENS, 64, 16);
        List<TextChunker.Chunk> chunks = chunk(BGE, List.of(text), null, options).get(0);
        List<Embedding> embeddings = embed(BGE, chunks.stream().map(c -> c.text(text)).toList(), null);
        for (int i = 0; i < chunks.size(); i++) {
            // 64 tokens of text plus [CLS] and [SEP]; re-tokenising a chunk alone may merge a token or two less
            assertTrue("chunk " + i + " has " + embeddings.get(i).tokens() + " tokens", embeddings.get(i).tokens() <= 66);
            if (i > 0) {
                assertTrue("chunks overlap", chunks.get(i).start() < chunks.get(i - 1).end());
            }
        }
    }

    public void testOffsetsPastEmojiAndInJapanese() throws Exception {
        String text = "😀😀 Café au lait 🎉.\n\n東京は日本の首都です。大阪は西にあります！京都はどうですか？ Tail words here.";
        List<TextChunker.Chunk> chunks = chunk(BGE, List.of(text), null, new ChunkingOptions(ChunkingMethod.SENTENCES, 16, 0)).get(0);
        List<String> texts = chunks.stream().map(c -> c.text(text)).toList();
        // bge gives each kanji and kana a token: 11 and 10 tokens for the first two sentences
        assertEquals(List.of("😀😀 Café au lait 🎉.", "東京は日本の首都です。", "大阪は西にあります！", "京都はどうですか？ Tail words here."), texts);
    }

    public void testJapaneseWithAPromptedPack() throws Exception {
        String text = "text text text。 query query query！ apple banana cherry？ tokyo osaka kyoto";
        ChunkingOptions options = new ChunkingOptions(ChunkingMethod.SENTENCES, 8, 0);
        List<String> texts = chunk(SARASHINA, List.of(text), null, options).get(0).stream().map(c -> c.text(text)).toList();
        assertEquals(List.of("text text text。 query query query！", "apple banana cherry？ tokyo osaka kyoto"), texts);
    }

    public void testEmptyTextGivesNoChunksAndShortTextOne() {
        List<List<TextChunker.Chunk>> chunks = chunk(BGE, List.of("", "  \n ", "A short text."), null, new ChunkingOptions(ChunkingMethod.TOKENS, null, 0));
        assertEquals(List.of(), chunks.get(0));
        assertEquals(List.of(), chunks.get(1));
        assertEquals(List.of(new TextChunker.Chunk(0, 13)), chunks.get(2));
    }

    public void testTooLargeMaxTokensFailsTheDocumentAndUnknownTaskTheCall() {
        // a chunk size the model cannot take fails the document; an unknown task, the whole call
        DocumentResult tooLarge = chunkedDocument(BGE, List.of("x"), null, new ChunkingOptions(ChunkingMethod.TOKENS, 511, 0));
        assertTrue(tooLarge.failed());
        IllegalArgumentException e = (IllegalArgumentException) tooLarge.failure();
        assertTrue(e.getMessage(), e.getMessage().contains("takes at most 510 tokens"));
        e = expectThrows(IllegalArgumentException.class, () -> chunkedDocument(BGE, List.of("x"), "nope", new ChunkingOptions(ChunkingMethod.TOKENS, null, 0)));
        assertTrue(e.getMessage(), e.getMessage().contains("has no task [nope]"));
    }
}
