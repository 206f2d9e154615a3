package io.instructembed.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.support.GoldenVectors;
import io.instructembed.support.StandInModel;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Long texts are tokenised by a prefix (issue #14): the kept tokens must be exactly those of the
 * whole text, tokenised and truncated as before, for every kind of text the cut could fall in.
 * Equal token ids and type ids are equal model inputs, so the vectors are equal too.
 */
public class PackTokenizerPrefixTests extends OpenSearchTestCase {

    private static PackRegistry packs() {
        NativeLibraries.configureDjl(Path.of(System.getProperty("java.io.tmpdir")));
        return PackRegistry.scan(StandInModel.packsDir(), Path.of(System.getProperty("instruct_embed.test.packs")));
    }

    /** The tokenisation before the prefix: the whole text, truncated by the tokenizer itself. */
    private static HuggingFaceTokenizer wholeTextTokenizer(ModelPack pack) throws Exception {
        int maxLength = pack.manifest().appendEos() ? pack.manifest().maxTokens() - 1 : pack.manifest().maxTokens();
        return PackTokenizer.withPluginClassLoader(() -> {
            HuggingFaceTokenizer.Builder builder = HuggingFaceTokenizer.builder()
                .optTokenizerPath(pack.tokenizerPath())
                .optAddSpecialTokens(true)
                .optTruncation(true)
                .optMaxLength(maxLength)
                .optPadding(false)
                .optWithOverflowingTokens(false);
            builder.configure(Map.of("modelMaxLength", Integer.toString(maxLength)));
            return builder.build();
        });
    }

    private static String repeat(String unit, int chars) {
        StringBuilder text = new StringBuilder(chars + unit.length());
        while (text.length() < chars) {
            text.append(unit);
        }
        return text.toString();
    }

    /** Long texts of every shape the cut can fall in: prose, CJK, emoji, runs without a break, long words. */
    private static List<String> longTexts(Random random) throws Exception {
        StringBuilder prose = new StringBuilder();
        for (GoldenVectors.Golden golden : GoldenVectors.documents()) {
            prose.append(golden.text()).append("\n\n");
        }
        List<String> texts = new ArrayList<>();
        texts.add(repeat(prose.toString(), 200_000));
        texts.add(repeat("東京都は日本の首都であり、人口は約1400万人です。桜の季節には多くの観光客が訪れる。", 60_000));
        texts.add(repeat("Emoji 😀🎉 test 👩‍👩‍👧‍👦 family 🇯🇵 flag 漢字 mixed ", 60_000));
        texts.add(repeat("😀", 50_000));  // only surrogate pairs: every cut is next to one
        texts.add(repeat("x", 300_000));  // one word, never broken
        texts.add(repeat("supercalifragilistic", 40_000));  // one long word of known pieces
        StringBuilder longWords = new StringBuilder();
        while (longWords.length() < 150_000) {  // words over WordPiece's 100 characters: one [UNK] each
            for (int i = 0; i < 90 + random.nextInt(40); i++) {
                longWords.append((char) ('a' + random.nextInt(26)));
            }
            longWords.append(' ');
        }
        texts.add(longWords.toString());
        StringBuilder mixed = new StringBuilder();
        String[] pieces = { "word ", "ÉCOLE ", "naïve ", "東京 ", "😀", "\t", "\n\n", "x1y2z3 ", "—", "ﬁ", "ﷺ " };
        while (mixed.length() < 100_000) {
            mixed.append(pieces[random.nextInt(pieces.length)]);
        }
        texts.add(mixed.toString());
        return texts;
    }

    private static void assertSameTokens(String what, PackTokenizer tokenizer, HuggingFaceTokenizer whole, String text) {
        TokenizedText kept = tokenizer.tokenize(text);
        Encoding expected = whole.encode(text);
        long[] ids = expected.getIds();
        assertEquals(what + ": truncated", expected.exceedMaxLength(), kept.truncated());
        // PackTokenizer appends an EOS itself for packs that ask for it: compare the tokens before it
        long[] keptIds = Arrays.copyOf(kept.ids(), ids.length);
        assertArrayEquals(what + ": ids", ids, keptIds);
        assertArrayEquals(what + ": type ids", expected.getTypeIds(), Arrays.copyOf(kept.typeIds(), ids.length));
    }

    public void testBgePrefixGivesTheTokensOfTheWholeText() throws Exception {
        ModelPack pack = packs().get("bge-small-en-v1.5").orElseThrow();
        Random random = new Random(randomLong());
        try (
            PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest());
            HuggingFaceTokenizer whole = wholeTextTokenizer(pack)
        ) {
            List<String> texts = longTexts(random);
            for (int t = 0; t < texts.size(); t++) {
                String text = texts.get(t);
                assertSameTokens("text " + t, tokenizer, whole, text);
                // and cut at random places: every prefix length, also next to surrogate pairs and inside words
                for (int i = 0; i < 5; i++) {
                    // never inside a surrogate pair: a lone surrogate is not text (see testLoneSurrogates...)
                    int end = KeptPrefix.cutAt(text, between(KeptPrefix.first(pack.manifest().maxTokens()) - 50, Math.min(text.length(), 40_000)));
                    String cut = text.substring(0, end);
                    if (whole.encode(cut).exceedMaxLength()) {
                        assertSameTokens("text " + t + " cut at " + end, tokenizer, whole, cut);
                    }
                }
            }
        }
    }

    public void testLoneSurrogatesDoNotChangeTheTokensOfOtherCharacters() throws Exception {
        ModelPack pack = packs().get("bge-small-en-v1.5").orElseThrow();
        try (PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest())) {
            String emoji = "Emoji 😀🎉 test 東京 ";
            // a lone surrogate at the end of a long text must not reach back to the kept tokens,
            // and short texts treat it as one replacement character, wherever it is
            String text = repeat(emoji, 60_000);
            assertArrayEquals(tokenizer.tokenize(text).ids(), tokenizer.tokenize(text + "\ud83d").ids());
            assertArrayEquals(tokenizer.tokenize(emoji + "\uFFFD").ids(), tokenizer.tokenize(emoji + "\ud83d").ids());
            assertArrayEquals(tokenizer.tokenize("\uFFFD" + emoji).ids(), tokenizer.tokenize("\udc00" + emoji).ids());
            assertEquals(WellFormedText.of("a\ud83d").length(), 2);
            assertSame(text, WellFormedText.of(text));
        }
    }

    public void testPacksThatAppendAnEosKeepIt() throws Exception {
        ModelPack pack = packs().get("sfr-embedding-mistral").orElseThrow();
        try (
            PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest());
            HuggingFaceTokenizer whole = wholeTextTokenizer(pack)
        ) {
            String text = repeat("the cat sat on the mat and ", 200_000);
            assertSameTokens("stand-in sfr", tokenizer, whole, text);
            TokenizedText kept = tokenizer.tokenize(text);
            assertEquals(pack.manifest().maxTokens(), kept.length());
        }
    }

    public void testAShortTextIsTokenisedWhole() throws Exception {
        ModelPack pack = packs().get("bge-small-en-v1.5").orElseThrow();
        try (
            PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest());
            HuggingFaceTokenizer whole = wholeTextTokenizer(pack)
        ) {
            String text = "A short text that the model takes whole.";
            TokenizedText kept = tokenizer.tokenize(text);
            assertFalse(kept.truncated());
            assertArrayEquals(whole.encode(text).getIds(), kept.ids());
        }
    }

    public void testTokenisingAHugeTextCostsWhatIsKept() throws Exception {
        ModelPack pack = packs().get("bge-small-en-v1.5").orElseThrow();
        try (PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest())) {
            String text = repeat("Neurons talk through synapses, and receptors on the next cell respond. ", 20_000_000);
            tokenizer.tokenize(text);  // warm up
            long start = System.nanoTime();
            TokenizedText kept = tokenizer.tokenize(text);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(kept.truncated());
            assertEquals(512, kept.length());
            // the whole 20 MB text took about a minute before; its first prefix takes milliseconds
            assertTrue("tokenising a 20 MB text took " + millis + " ms", millis < 2_000);
        }
    }
}
