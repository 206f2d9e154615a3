package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import io.instructembed.pack.PaddingSide;
import io.instructembed.support.GoldenVectors;
import io.instructembed.support.StandInModel;
import io.instructembed.support.TestModelServices;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.settings.Settings;
import org.opensearch.test.OpenSearchTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The three large packs' real manifests with stand-in weights of the same signature and dimensions
 * (dropped into the user packs folder, as a user would): last-token pooling, left padding,
 * position ids, external data, fp16 output and 8k-token inputs, checked against a known function.
 */
public class LargePackStandInTests extends OpenSearchTestCase {
    private static TestModelServices models;
    private static ModelService service;
    private static PackRegistry packs;

    @BeforeClass
    public static void start() {
        models = TestModelServices.bundled(StandInModel.packsDir(), "auto", List.of(), 1, 1);
        service = models.service;
        packs = models.packs;
    }

    @AfterClass
    public static void stop() {
        models.close();
        models = null;
        service = null;
        packs = null;
    }

    private static List<Embedding> embed(String model, List<String> texts, InputType type, String task) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        service.embed(new ModelService.EmbedCall(model, texts, type, task, null), future);
        return future.actionGet(120, TimeUnit.SECONDS);
    }

    /** The vector the stand-in model gives for exactly this rendered text. */
    private static float[] expectedFor(String model, String renderedText) throws Exception {
        ModelPack pack = packs.get(model).orElseThrow();
        try (PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest())) {
            TokenizedText tokens = tokenizer.tokenize(renderedText);
            return StandInModel.expected(tokens.ids()[tokens.length() - 1], tokens.length() - 1, pack.manifest().dimensions());
        }
    }

    private static double minCosine(String model) {
        // sfr-embedding-2-r's stand-in graph outputs fp16, as a GPU export would
        return model.equals("sfr-embedding-2-r") ? 0.9995 : 0.99999;
    }

    public void testStandInWeightsInTheUserFolderMakeThePacksAvailable() {
        for (String id : List.of("sarashina-embedding-v2-1b", "sfr-embedding-2-r", "sfr-embedding-mistral")) {
            ModelPack pack = packs.get(id).orElseThrow();
            assertEquals(id, PackState.AVAILABLE, pack.state());
            assertEquals(StandInModel.packsDir().resolve(id), pack.modelDir());
        }
    }

    public void testQueriesAndDocumentsOfEveryTaskFollowTheTemplates() throws Exception {
        String text = "apple banana river";
        // the exact texts each pack's templates must produce (see the model cards)
        String sarashinaInstruction = "クエリを与えるので、もっともクエリに意味が似ている一節を探してください。";
        assertVector("sarashina-embedding-v2-1b", text, InputType.QUERY, "retrieval", "task: " + sarashinaInstruction + "\nquery: " + text);
        assertVector("sarashina-embedding-v2-1b", text, InputType.DOCUMENT, null, "text: " + text);
        assertVector(
            "sarashina-embedding-v2-1b",
            text,
            InputType.DOCUMENT,
            "sts",
            "task: クエリを与えるので，もっともクエリに意味が似ている一節を探してください。\nquery: " + text
        );
        for (String sfr : List.of("sfr-embedding-2-r", "sfr-embedding-mistral")) {
            assertVector(
                sfr,
                text,
                InputType.QUERY,
                null,
                "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: " + text
            );
            assertVector(sfr, text, InputType.DOCUMENT, null, text);
            assertVector(sfr, text, InputType.DOCUMENT, "sts", "Instruct: Retrieve semantically similar text.\nQuery: " + text);
        }
    }

    private void assertVector(String model, String text, InputType type, String task, String expectedRendered) throws Exception {
        float[] actual = embed(model, List.of(text), type, task).get(0).vector();
        double cosine = GoldenVectors.cosine(expectedFor(model, expectedRendered), actual);
        assertTrue(model + " " + type + " " + task + " cosine " + cosine, cosine >= minCosine(model));
        // and a prompt that differs by one word gives another vector
        double wrong = GoldenVectors.cosine(expectedFor(model, expectedRendered + " cat"), actual);
        assertTrue(model + " a different prompt must not match: " + wrong, wrong < 0.99);
    }

    public void testBatchedRowsOfDifferentLengthsGiveTheirSingleVectors() throws Exception {
        List<String> texts = List.of("apple", "river mountain ocean city tokyo osaka kyoto", "tea", "hello world cat dog sun moon star tree house");
        for (String model : List.of("sarashina-embedding-v2-1b", "sfr-embedding-2-r", "sfr-embedding-mistral")) {
            List<Embedding> batched = embed(model, texts, InputType.DOCUMENT, null);
            for (int i = 0; i < texts.size(); i++) {
                float[] alone = embed(model, List.of(texts.get(i)), InputType.DOCUMENT, null).get(0).vector();
                assertArrayEquals(model + " text " + i, alone, batched.get(i).vector(), 1e-6f);
            }
        }
    }

    public void testLastTokenPoolingIsTheSameWithLeftAndRightPadding() throws Exception {
        List<String> texts = List.of("apple", "river mountain ocean city tokyo", "tea coffee");
        for (String id : List.of("sarashina-embedding-v2-1b", "sfr-embedding-mistral", "sfr-embedding-2-r")) {
            ModelPack pack = packs.get(id).orElseThrow();
            List<TokenizedText> rows = new ArrayList<>();
            try (PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest())) {
                for (String text : texts) {
                    rows.add(tokenizer.tokenize(text));
                }
            }
            float[][] left = run(pack, PaddingSide.LEFT, rows);
            float[][] right = run(pack, PaddingSide.RIGHT, rows);
            for (int i = 0; i < rows.size(); i++) {
                TokenizedText row = rows.get(i);
                float[] expected = StandInModel.expected(row.ids()[row.length() - 1], row.length() - 1, pack.manifest().dimensions());
                assertTrue(id + " left row " + i, GoldenVectors.cosine(expected, left[i]) >= minCosine(id));
                assertArrayEquals(id + " row " + i, left[i], right[i], 1e-6f);
            }
        }
    }

    private static float[][] run(ModelPack pack, PaddingSide side, List<TokenizedText> rows) throws Exception {
        var m = pack.manifest();
        var tokens = new io.instructembed.pack.PackManifest.Tokens(m.maxTokens(), side, m.appendEos(), m.eosToken(), m.tokenizerFile());
        var manifest = new io.instructembed.pack.PackManifest(m.id(), m.description(), m.vectors(), tokens, m.graph(), m.prompting(), m.provenance());
        try (
            ai.onnxruntime.OrtSession.SessionOptions options = InferenceConfig.from(Settings.EMPTY).sessionOptions();
            OnnxEmbedder embedder = OnnxEmbedder.open(ai.onnxruntime.OrtEnvironment.getEnvironment(), pack.modelPath(), manifest, options)
        ) {
            return embedder.embed(rows);
        }
    }

    public void testAnEightThousandTokenTextFitsTheBudgetAndIsTruncatedAtMaxTokens() throws Exception {
        String longText = "apple ".repeat(9000).trim();
        List<Embedding> result = embed("sarashina-embedding-v2-1b", List.of(longText, "tea"), InputType.DOCUMENT, null);
        assertTrue(result.get(0).truncated());
        assertEquals(8192, result.get(0).tokens());
        // the cut text ends in "apple" at position 8191
        ModelPack pack = packs.get("sarashina-embedding-v2-1b").orElseThrow();
        long apple;
        try (PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest())) {
            TokenizedText one = tokenizer.tokenize("apple");
            apple = one.ids()[one.length() - 1];
        }
        assertTrue(GoldenVectors.cosine(StandInModel.expected(apple, 8191, 1792), result.get(0).vector()) >= 0.99999);
        assertFalse(result.get(1).truncated());
    }

    public void testAppendEosPutsTheEosTokenLast() throws Exception {
        ModelPack pack = packs.get("sfr-embedding-mistral").orElseThrow();
        var m = pack.manifest();
        var tokens = new io.instructembed.pack.PackManifest.Tokens(8, m.paddingSide(), true, "</s>", m.tokenizerFile());
        var withEos = new io.instructembed.pack.PackManifest(m.id(), m.description(), m.vectors(), tokens, m.graph(), m.prompting(), m.provenance());
        try (PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), withEos)) {
            TokenizedText shortText = tokenizer.tokenize("apple tea");
            assertEquals(4, shortText.length());                  // <s> apple tea </s>
            assertEquals(2L, shortText.ids()[3]);                 // </s> is id 2 in the stand-in vocabulary
            TokenizedText cut = tokenizer.tokenize("apple tea river ocean city tokyo osaka kyoto train station");
            assertEquals(8, cut.length());                        // truncated to max_tokens, EOS kept last
            assertEquals(2L, cut.ids()[7]);
            assertTrue(cut.truncated());
        }
    }
}
