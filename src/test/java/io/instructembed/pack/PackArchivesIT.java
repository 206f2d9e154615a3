package io.instructembed.pack;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15.BgeSmallZhV15EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.e5smallv2.E5SmallV2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.e5smallv2q.E5SmallV2QuantizedEmbeddingModel;
import io.instructembed.support.GoldenVectors;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import org.junit.BeforeClass;
import org.opensearch.client.Request;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The pack archives (issue #24) on a real node, unzipped into its config/instruct-embed/packs/ as
 * an operator would: every pack's vectors through {@code _embed} (both sides) and through the
 * ingest processor equal those of langchain4j's own embedding model class from the Maven artifact
 * the pack's weights come from, fed the text with the prompt the model card asks for. langchain4j
 * tokenises, pools and normalises in its own code, so the two agree only if the pack's manifest
 * (prompts, pooling, inputs) is right. Two differences are the reference's, not the packs': a
 * dynamically quantised graph (int8) gives vectors that depend a little on the batch, so it is
 * matched one text per call (and batched within a looser bound); and all-MiniLM-L6-v2's
 * tokenizer.json makes langchain4j cut at 128 tokens where the pack follows the model card's 256.
 */
public class PackArchivesIT extends OpenSearchRestTestCase {
    private static final double MIN_COSINE = 0.9999;
    /** Dynamically quantised graphs, texts batched as they come, against one text at a time. */
    private static final double MIN_BATCHED_INT8_COSINE = 0.995;
    private static final int MIN_TEXTS = 50;
    private static final String BGE_ZH_INSTRUCTION = "为这个句子生成表示以用于检索相关文章：";

    @BeforeClass
    public static void keepDjlOffline() {
        // langchain4j's DJL tokenizer: its native library from the jar, never a download
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("DJL_CACHE_DIR", System.getProperty("java.io.tmpdir") + "/pack-archives-it-djl");
        System.setProperty("ENGINE_CACHE_DIR", System.getProperty("java.io.tmpdir") + "/pack-archives-it-djl");
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }

    public void testE5SmallV2() throws IOException {
        assertMatchesReference(new Reference("e5-small-v2", E5SmallV2EmbeddingModel::new, "passage: ", "query: ", 512, false));
    }

    public void testE5SmallV2Int8() throws IOException {
        // the query cache would answer a query alone with its vector from the batch
        queryCacheBytes("0");
        try {
            assertMatchesReference(new Reference("e5-small-v2-int8", E5SmallV2QuantizedEmbeddingModel::new, "passage: ", "query: ", 512, true));
        } finally {
            queryCacheBytes(null);
        }
    }

    private void queryCacheBytes(String value) throws IOException {
        Request request = new Request("PUT", "/_cluster/settings");
        request.setJsonEntity("{\"transient\":{\"instruct_embed.query_cache.max_bytes\":" + (value == null ? "null" : "\"" + value + "\"") + "}}");
        client().performRequest(request);
    }

    public void testBgeSmallZh() throws IOException {
        assertMatchesReference(new Reference("bge-small-zh-v1.5", BgeSmallZhV15EmbeddingModel::new, "", BGE_ZH_INSTRUCTION, 512, false));
    }

    public void testAllMiniLmL6V2() throws IOException {
        // langchain4j's DJL tokenizer keeps the truncation of the artifact's tokenizer.json (128
        // tokens); the pack truncates at the model card's 256. Longer texts are outside the reference.
        assertMatchesReference(new Reference("all-minilm-l6-v2", AllMiniLmL6V2EmbeddingModel::new, "", "", 128, false));
    }

    /**
     * A pack and its reference: langchain4j's model class, the prompts the model card asks for, the
     * tokens (special ones included) the reference model sees of a text, and whether the graph is
     * dynamically quantised. Such a graph quantises each activation tensor with one scale for the
     * whole batch, so a vector depends a little on the texts batched with it: langchain4j embeds
     * one text at a time, and so is matched by one text per call.
     */
    private record Reference(
        String pack,
        Supplier<EmbeddingModel> model,
        String documentPrompt,
        String queryPrompt,
        int referenceTokens,
        boolean dynamicallyQuantised
    ) {}

    /** Vectors of the node on the three paths, in the order of the texts. */
    private record NodeVectors(List<float[]> documents, List<float[]> queries, List<float[]> ingested) {}

    private void assertMatchesReference(Reference reference) throws IOException {
        String pack = reference.pack();
        List<String> texts = texts();
        List<Map<String, Object>> documents = embed(pack, "document", texts);
        List<Map<String, Object>> queries = embed(pack, "query", texts);

        // only texts the reference sees whole and the pack keeps whole
        List<Integer> whole = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (fits(documents.get(i), reference.referenceTokens()) && fits(queries.get(i), reference.referenceTokens())) {
                whole.add(i);
            }
        }
        assertTrue(pack + ": only " + whole.size() + " texts fit the pack", whole.size() >= MIN_TEXTS);
        List<String> kept = whole.stream().map(texts::get).toList();
        NodeVectors batched = new NodeVectors(
            whole.stream().map(i -> NodeCalls.floats(documents.get(i).get("vector"))).toList(),
            whole.stream().map(i -> NodeCalls.floats(queries.get(i).get("vector"))).toList(),
            ingest(pack, kept)
        );

        EmbeddingModel model = reference.model().get();
        List<float[]> referenceDocuments = referenceVectors(model, kept, reference.documentPrompt());
        List<float[]> referenceQueries = referenceVectors(model, kept, reference.queryPrompt());
        if (reference.dynamicallyQuantised() == false) {
            assertCosines(pack + " (texts batched)", kept, batched, referenceDocuments, referenceQueries, MIN_COSINE);
            return;
        }
        NodeVectors alone = new NodeVectors(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (String text : kept) {
            alone.documents().add(NodeCalls.floats(embed(pack, "document", List.of(text)).get(0).get("vector")));
            alone.queries().add(NodeCalls.floats(embed(pack, "query", List.of(text)).get(0).get("vector")));
            alone.ingested().add(ingest(pack, List.of(text)).get(0));
        }
        assertCosines(pack + " (one text per call)", kept, alone, referenceDocuments, referenceQueries, MIN_COSINE);
        assertCosines(pack + " (texts batched)", kept, batched, referenceDocuments, referenceQueries, MIN_BATCHED_INT8_COSINE);
    }

    private static boolean fits(Map<String, Object> embedding, int tokens) {
        return Boolean.FALSE.equals(embedding.get("truncated")) && ((Number) embedding.get("tokens")).intValue() <= tokens;
    }

    private void assertCosines(
        String what,
        List<String> texts,
        NodeVectors node,
        List<float[]> referenceDocuments,
        List<float[]> referenceQueries,
        double min
    ) {
        double minDocument = 1, minQuery = 1, minIngest = 1;
        List<String> below = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            double document = GoldenVectors.cosine(node.documents().get(i), referenceDocuments.get(i));
            double query = GoldenVectors.cosine(node.queries().get(i), referenceQueries.get(i));
            double ingest = GoldenVectors.cosine(node.ingested().get(i), referenceDocuments.get(i));
            minDocument = Math.min(minDocument, document);
            minQuery = Math.min(minQuery, query);
            minIngest = Math.min(minIngest, ingest);
            if (Math.min(document, Math.min(query, ingest)) < min) {
                below.add(String.format(Locale.ROOT, "[%s] document %.6f query %.6f ingest %.6f", texts.get(i), document, query, ingest));
            }
        }
        logger.info(
            "{}: {} texts, min cosine against langchain4j: _embed documents {}, _embed queries {}, ingest {}",
            what,
            texts.size(),
            minDocument,
            minQuery,
            minIngest
        );
        assertTrue(what + ": texts below " + min + ":\n" + String.join("\n", below), below.isEmpty());
    }

    private static List<float[]> referenceVectors(EmbeddingModel model, List<String> texts, String prompt) {
        List<TextSegment> segments = texts.stream().map(text -> TextSegment.from(prompt + text)).collect(Collectors.toList());
        return model.embedAll(segments).content().stream().map(Embedding::vector).toList();
    }

    /** {@code _embed} of all texts in one call: each embedding with its vector, tokens and truncated flag. */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> embed(String pack, String inputType, List<String> texts) throws IOException {
        Request request = new Request("POST", "/_plugins/_instruct_embed/_embed");
        request.setJsonEntity(
            "{\"model_id\":\"" + pack + "\",\"input_type\":\"" + inputType + "\"" + ("query".equals(inputType) ? ",\"task\":\"retrieval\"" : "")
                + ",\"texts\":[" + texts.stream().map(Json::quote).collect(Collectors.joining(",")) + "]}"
        );
        List<Map<String, Object>> embeddings = (List<Map<String, Object>>) entityAsMap(client().performRequest(request)).get("embeddings");
        assertEquals(texts.size(), embeddings.size());
        return embeddings;
    }

    /** The texts through an {@code instruct_embedding} processor (the pack's default task), simulated. */
    @SuppressWarnings("unchecked")
    private List<float[]> ingest(String pack, List<String> texts) throws IOException {
        Request request = new Request("POST", "/_ingest/pipeline/_simulate");
        request.setJsonEntity(
            "{\"pipeline\":{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + pack + "\",\"field_map\":{\"text\":\"vector\"}}}]},"
                + "\"docs\":[" + texts.stream().map(t -> "{\"_source\":{\"text\":" + Json.quote(t) + "}}").collect(Collectors.joining(",")) + "]}"
        );
        List<Map<String, Object>> docs = (List<Map<String, Object>>) entityAsMap(client().performRequest(request)).get("docs");
        List<float[]> vectors = new ArrayList<>();
        for (Map<String, Object> doc : docs) {
            Map<String, Object> source = (Map<String, Object>) ((Map<String, Object>) doc.get("doc")).get("_source");
            assertNotNull("no vector in " + doc, source.get("vector"));
            vectors.add(NodeCalls.floats(source.get("vector")));
        }
        return vectors;
    }

    /** English, accented, other scripts, emoji, Chinese and Japanese texts, short and long. */
    private static List<String> texts() throws IOException {
        List<String> texts = new ArrayList<>();
        try (InputStream in = PackArchivesIT.class.getResourceAsStream("/reference/pack-archive-texts.jsonl")) {
            assertNotNull("missing /reference/pack-archive-texts.jsonl", in);
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank() == false) {
                    texts.add((String) XContentHelper.convertToMap(JsonXContent.jsonXContent, line, false).get("text"));
                }
            }
        }
        return texts;
    }
}
