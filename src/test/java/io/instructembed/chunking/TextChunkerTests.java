package io.instructembed.chunking;

import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The chunker on texts whose tokens are their whitespace-separated words, so that every count is
 * visible in the test: boundaries, overlap, sentence packing, offsets and the fit check.
 */
public class TextChunkerTests extends OpenSearchTestCase {

    /** One token per word (punctuation stays with its word), as UTF-16 spans. */
    static TokenSpans words(String text) {
        List<int[]> spans = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < text.length() && Character.isWhitespace(text.charAt(i)) == false) {
                i++;
            }
            if (i > start) {
                spans.add(new int[] { start, i });
            }
        }
        return TokenSpans.of(spans.stream().mapToInt(s -> s[0]).toArray(), spans.stream().mapToInt(s -> s[1]).toArray());
    }

    private static List<String> texts(String text, List<TextChunker.Chunk> chunks) {
        return chunks.stream().map(c -> c.text(text)).toList();
    }

    private static List<String> chunk(String text, ChunkingMethod method, int max, int overlap) {
        return texts(text, TextChunker.chunk(text, words(text), new ChunkingOptions(method, max, overlap), (s, e) -> true));
    }

    public void testTokenWindowsWithOverlap() {
        String text = "a b c d e f g h i j k l m n o p q r s t";  // 20 tokens
        assertEquals(
            List.of("a b c d e f g h", "g h i j k l m n", "m n o p q r s t"),
            chunk(text, ChunkingMethod.TOKENS, 8, 2)
        );
        assertEquals(List.of("a b c d e f g h", "i j k l m n o p", "q r s t"), chunk(text, ChunkingMethod.TOKENS, 8, 0));
    }

    public void testEveryTokenIsInSomeChunkAndNoChunkIsOverTheLimit() {
        StringBuilder text = new StringBuilder();
        int count = between(1, 400);
        for (int i = 0; i < count; i++) {
            text.append(randomAlphaOfLengthBetween(1, 6)).append(randomFrom(" ", ". ", "\n", "! ", "\n\n"));
        }
        String source = text.toString();
        TokenSpans tokens = words(source);
        int max = between(8, 64);
        int overlap = between(0, max / 2);
        for (ChunkingMethod method : ChunkingMethod.values()) {
            List<TextChunker.Chunk> chunks = TextChunker.chunk(source, tokens, new ChunkingOptions(method, max, overlap), (s, e) -> true);
            boolean[] covered = new boolean[tokens.size()];
            int previousStart = -1;
            for (TextChunker.Chunk chunk : chunks) {
                assertTrue("chunks advance", chunk.start() > previousStart);
                previousStart = chunk.start();
                int inChunk = 0;
                for (int t = 0; t < tokens.size(); t++) {
                    if (tokens.start(t) >= chunk.start() && tokens.end(t) <= chunk.end()) {
                        covered[t] = true;
                        inChunk++;
                    }
                }
                assertTrue(method + ": " + inChunk + " tokens > " + max, inChunk <= max);
                assertEquals("a chunk starts and ends on a token", chunk.text(source), chunk.text(source).strip());
            }
            for (int t = 0; t < covered.length; t++) {
                assertTrue(method + ": token " + t + " is in no chunk", covered[t]);
            }
        }
    }

    public void testSentencesArePackedWhole() {
        String text = "One two three. Four five six seven. Eight nine. Ten eleven twelve thirteen fourteen.";
        // sentences of 3, 4, 2 and 5 tokens; 8 per chunk
        assertEquals(
            List.of("One two three. Four five six seven.", "Eight nine. Ten eleven twelve thirteen fourteen."),
            chunk(text, ChunkingMethod.SENTENCES, 8, 0)
        );
    }

    public void testSentenceOverlapRepeatsWholeSentences() {
        String text = "A b c. D e. F g h i. J k l.";  // 3, 2, 4, 3 tokens
        assertEquals(List.of("A b c. D e.", "D e. F g h i.", "F g h i. J k l."), chunk(text, ChunkingMethod.SENTENCES, 8, 4));
    }

    public void testSentenceLongerThanAChunkFallsBackToTokenWindows() {
        String text = "Short one. A b c d e f g h i j k l. Tail here.";
        assertEquals(
            List.of("Short one.", "A b c d e f g h", "g h i j k l.", "Tail here."),
            chunk(text, ChunkingMethod.SENTENCES, 8, 2)
        );
    }

    public void testParagraphsThatFitArePackedWholeAndNeverJoinedToPartOfAnother() {
        // paragraphs of 3, 6 and 2 tokens, then one of 10 whose sentences are 4 and 6
        String text = "A b c.\n\nD e f g h i.\n\nJ k.\n\nL m n o. P q r s t u.";
        assertEquals(
            List.of("A b c.", "D e f g h i.\n\nJ k.", "L m n o.", "P q r s t u."),
            chunk(text, ChunkingMethod.SENTENCES, 8, 0)
        );
        // overlap repeats sentences within a paragraph, never across a blank line
        String long2 = "Intro here.\n\nA b c. D e. F g h i. J k l.";
        assertEquals(List.of("Intro here.", "A b c. D e.", "D e. F g h i.", "F g h i. J k l."), chunk(long2, ChunkingMethod.SENTENCES, 8, 4));
    }

    public void testParagraphsEndSentences() {
        String text = "Title without stop\n\nBody text starts here and goes on";
        assertEquals(List.of("Title without stop", "Body text starts here and goes on"), chunk(text, ChunkingMethod.SENTENCES, 8, 0));
    }

    public void testJapaneseSentenceEnds() {
        // five "tokens" a sentence, eight a chunk: one sentence each
        String text = "今日 は とても よく 晴れです。 明日 は たぶん 一日中 雨でしょう！ 本当 に それは 確か ですか？ はい 、 天気 予報 では． そう 言って い ました よ";
        assertEquals(
            List.of("今日 は とても よく 晴れです。", "明日 は たぶん 一日中 雨でしょう！", "本当 に それは 確か ですか？", "はい 、 天気 予報 では．", "そう 言って い ました よ"),
            chunk(text, ChunkingMethod.SENTENCES, 8, 0)
        );
        assertArrayEquals(new int[] { 8, 17, 21, 24 }, SentenceBoundaries.of("今日は晴れです。明日は雨でしょう！本当に？はい．そうです"));
    }

    public void testChineseSentenceEnds() {
        // 。！？ and their runs (JDK rules), the full-width semicolon and stop (ours), closing quotes kept
        String text = "他说：“你好。”然后走了。什么？！真的吗；第一条．第二条，价格3．5元";
        assertArrayEquals(new int[] { 8, 13, 17, 21, 25 }, SentenceBoundaries.of(text));
        assertEquals("他说：“你好。”", text.substring(0, 8));
        assertEquals("第二条，价格3．5元", text.substring(25));
        assertArrayEquals("a semicolon at the end starts nothing", new int[] { 4 }, SentenceBoundaries.of("第一条；第二条；"));
        assertArrayEquals("a semicolon before its closing bracket", new int[] { 3 }, SentenceBoundaries.of("甲；）乙"));
    }

    public void testOffsetsAreExactSubstringsOfTheSource() {
        String text = "  Leading space.\tTabs\tand  double  spaces. Ünïcödé wörds here.  ";
        TokenSpans tokens = words(text);
        for (ChunkingMethod method : ChunkingMethod.values()) {
            for (TextChunker.Chunk chunk : TextChunker.chunk(text, tokens, new ChunkingOptions(method, 8, 0), (s, e) -> true)) {
                assertTrue(text.regionMatches(chunk.start(), chunk.text(text), 0, chunk.end() - chunk.start()));
            }
        }
        assertEquals("Leading space.\tTabs\tand  double  spaces.", chunk(text, ChunkingMethod.SENTENCES, 8, 0).get(0));
    }

    public void testEmptyAndOneChunkTexts() {
        assertEquals(List.of(), chunk("", ChunkingMethod.TOKENS, 8, 0));
        assertEquals(List.of(), chunk("   \n\n ", ChunkingMethod.SENTENCES, 8, 0));
        assertEquals(List.of("just a few words."), chunk("just a few words.", ChunkingMethod.SENTENCES, 8, 2));
        assertEquals(List.of("just a few words."), chunk(" just a few words.\n", ChunkingMethod.TOKENS, 8, 2));
    }

    public void testAChunkThatWouldBeTruncatedGivesUpTokens() {
        String text = "a b c d e f g h i j k l";
        // the "model" takes at most 11 characters of a chunk: the fit check shortens chunks until they fit
        List<String> tokens = texts(text, TextChunker.chunk(text, words(text), new ChunkingOptions(ChunkingMethod.TOKENS, 8, 0), (s, e) -> e - s <= 11));
        assertEquals(List.of("a b c d e f", "g h i j k l"), tokens);
        List<String> sentences = texts(
            text,
            TextChunker.chunk(text, words(text), new ChunkingOptions(ChunkingMethod.SENTENCES, 8, 0), (s, e) -> e - s <= 11)
        );
        assertEquals(List.of("a b c d e f", "g h i j k l"), sentences);
    }

    public void testUnresolvedOptionsAreRefused() {
        expectThrows(
            IllegalArgumentException.class,
            () -> TextChunker.chunk("a", words("a"), new ChunkingOptions(ChunkingMethod.TOKENS, null, 0), (s, e) -> true)
        );
    }

    public void testCodePointSpansBecomeUtf16Offsets() {
        String text = "a 😀 b";  // the emoji is one code point, two UTF-16 units
        TokenSpans spans = TokenSpans.ofCodePoints(text, new int[] { 0, 2, 4 }, new int[] { 1, 3, 5 });
        assertEquals("😀", text.substring(spans.start(1), spans.end(1)));
        assertEquals("b", text.substring(spans.start(2), spans.end(2)));
    }

    public void testOptionsParsing() {
        ChunkingOptions options = ChunkingOptions.parse(Map.of("method", "tokens", "max_tokens", 128, "overlap_tokens", 16));
        assertEquals(new ChunkingOptions(ChunkingMethod.TOKENS, 128, 16), options);
        assertEquals(new ChunkingOptions(ChunkingMethod.SENTENCES, null, 0), ChunkingOptions.parse(Map.of()));
        assertEquals(Map.of("method", "tokens", "max_tokens", 128, "overlap_tokens", 16), options.toMap());
        assertEquals(new ChunkingOptions(ChunkingMethod.SENTENCES, 510, 0), ChunkingOptions.parse(Map.of()).resolve(510, "m"));

        assertMessage("[method] must be one of [tokens, sentences], got [words]", Map.of("method", "words"));
        assertMessage("[max_tokens] must be at least 8, got [2]", Map.of("max_tokens", 2));
        assertMessage("[max_tokens] must be an integer, got [1.5]", Map.of("max_tokens", 1.5));
        assertMessage("[overlap_tokens] must not be negative, got [-1]", Map.of("overlap_tokens", -1));
        assertMessage("[overlap_tokens] must be at most half of [max_tokens] (32), got [40]", Map.of("max_tokens", 64, "overlap_tokens", 40));
        assertMessage("[size] is not a chunking option; the options are [method, max_tokens, overlap_tokens]", Map.of("size", 3));
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> ChunkingOptions.parse("tokens"));
        assertEquals("must be an object with [method], [max_tokens] and [overlap_tokens]", e.getMessage());
        e = expectThrows(IllegalArgumentException.class, () -> ChunkingOptions.parse(Map.of("max_tokens", 600)).resolve(510, "bge"));
        assertEquals("[max_tokens] is [600], but model [bge] takes at most 510 tokens of text per chunk after its document prompt", e.getMessage());
    }

    private void assertMessage(String expected, Map<String, Object> options) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> ChunkingOptions.parse(options));
        assertEquals(expected, e.getMessage());
    }
}
