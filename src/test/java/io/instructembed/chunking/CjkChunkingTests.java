package io.instructembed.chunking;

import io.instructembed.model.DocumentCall;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService;
import io.instructembed.model.ModelService;
import io.instructembed.pack.InputType;
import io.instructembed.support.TestModelServices;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Long Chinese and Japanese texts chunk at their sentence ends, token-exact: with bge-small-zh's
 * real tokenizer (the pack archive built into target/packs/), every chunk of sentences ends at a
 * sentence end, holds at most its size in tokens as the model counts them, and could not have
 * taken the next sentence too.
 */
public class CjkChunkingTests extends OpenSearchTestCase {
    private static final String BGE_ZH = "bge-small-zh-v1.5";
    private static final String SENTENCE_ENDS = "。！？；．";
    private static final String CLOSING_QUOTES = "”」』）";
    private static TestModelServices models;
    private static ModelService service;

    @BeforeClass
    public static void start() {
        models = TestModelServices.bundled(Path.of(System.getProperty("instruct_embed.test.pack_archives")), "auto", List.of(), 1, 1);
        service = models.service;
    }

    @AfterClass
    public static void stop() {
        models.close();
        models = null;
        service = null;
    }

    private static List<String> chunk(String text, ChunkingOptions options) {
        // through the service's one document call, as the ingest processor chunks
        DocumentCall.Document document = new DocumentCall.Document(List.of(new DocumentCall.Field("body", false, List.of(text))));
        PlainActionFuture<List<DocumentResult>> future = new PlainActionFuture<>();
        service.embedDocuments(new DocumentCall(BGE_ZH, null, options, Integer.MAX_VALUE, true, List.of(document)), future);
        DocumentResult result = future.actionGet(120, TimeUnit.SECONDS).get(0);
        assertFalse(result.failed());
        return result.texts().get(0).stream().map(piece -> piece.text(text)).toList();
    }

    private static List<Embedding> embed(List<String> texts) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        service.embed(new EmbeddingService.EmbedCall(BGE_ZH, texts, InputType.DOCUMENT, null, null), future);
        return future.actionGet(120, TimeUnit.SECONDS);
    }

    /** Tokens of each text as the model counts them, less [CLS] and [SEP]. */
    private static List<Integer> tokens(List<String> texts) {
        List<Integer> tokens = new ArrayList<>();
        for (Embedding embedding : embed(texts)) {
            assertFalse(embedding.truncated());
            tokens.add(embedding.tokens() - 2);
        }
        return tokens;
    }

    private static boolean fits(String text, int max) {
        Embedding embedding = embed(List.of(text)).get(0);
        return embedding.truncated() == false && embedding.tokens() - 2 <= max;
    }

    private static String longChinese() {
        String[] sentences = {
            "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
            "长城是中国古代的军事防御工程，全长超过两万公里！",
            "为什么天空是蓝色的？",
            "因为大气中的分子对短波长的光散射更强；这种现象叫做瑞利散射。",
            "人工智能正在改变医疗、金融和教育等多个行业．",
            "熊猫主要生活在四川、陕西和甘肃的山区，以竹子为食。",
            "“你吃饭了吗？”他问道。",
            "上海位于长江入海口，是中国最大的经济中心城市之一，2023年的人口约为2487万。" };
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            text.append(sentences[i % sentences.length]);
        }
        return text.toString();
    }

    public void testShortChineseSentencesAreKeptApartOrPackedByTheirTokens() {
        // one token per character and mark: 7, 8, 5, 4, 4 and 2 tokens; 8 a chunk
        String text = "第一句话很短。第二句话也不长！第三句呢？第四条；第五条．最后";
        assertEquals(
            List.of("第一句话很短。", "第二句话也不长！", "第三句呢？", "第四条；第五条．", "最后"),
            chunk(text, new ChunkingOptions(ChunkingMethod.SENTENCES, 8, 0))
        );
        assertEquals(List.of(7, 8, 5, 8, 2), tokens(chunk(text, new ChunkingOptions(ChunkingMethod.SENTENCES, 8, 0))));
    }

    public void testLongJapaneseChunksEndAtSentenceEndsAndAreFullToTheToken() {
        String[] sentences = {
            "東京は日本の首都です。",
            "人口は約千四百万人で、世界有数の大都市です！",
            "明日は雨が降るでしょうか？",
            "桜の季節には、多くの観光客が京都を訪れます．",
            "「本当に行きますか？」",
            "機械学習モデルは大量のデータから規則性を学びます。" };
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 80; i++) {
            text.append(sentences[i % sentences.length]);
        }
        assertChunkedAtSentenceEnds(text.toString(), 40, 128, 510);
    }

    public void testLongChineseChunksEndAtSentenceEndsAndAreFullToTheToken() {
        assertChunkedAtSentenceEnds(longChinese(), 48, 128, 510);
    }

    /**
     * Every chunk but the last ends at a sentence end (after its closing quote, if any), holds at most
     * {@code max} tokens, and could not have taken the next chunk's first sentence as well.
     */
    private static void assertChunkedAtSentenceEnds(String text, int... sizes) {
        for (int max : sizes) {
            List<String> chunks = chunk(text, new ChunkingOptions(ChunkingMethod.SENTENCES, max, 0));
            assertTrue(max + ": " + chunks.size() + " chunks", chunks.size() >= 3);
            assertEquals("the chunks are the text, in order, with nothing between them", text, String.join("", chunks));
            List<Integer> tokens = tokens(chunks);
            for (int i = 0; i < chunks.size() - 1; i++) {
                String chunk = chunks.get(i);
                assertTrue(max + ": chunk " + i + " has " + tokens.get(i) + " tokens", tokens.get(i) <= max);
                String end = chunk.substring(chunk.length() - 1);
                if (CLOSING_QUOTES.contains(end)) {
                    end = chunk.substring(chunk.length() - 2, chunk.length() - 1);
                }
                assertTrue(max + ": chunk " + i + " ends mid-sentence: " + chunk, SENTENCE_ENDS.contains(end));
                String next = chunks.get(i + 1);
                int[] starts = SentenceBoundaries.of(next);
                String firstSentence = starts.length == 0 ? next : next.substring(0, starts[0]);
                assertFalse(max + ": chunk " + i + " could have taken [" + firstSentence + "]", fits(chunk + firstSentence, max));
            }
        }
    }
}
