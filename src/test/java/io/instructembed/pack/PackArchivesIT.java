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
 * (prompts, pooling, inputs) is right.
 */
public class PackArchivesIT extends OpenSearchRestTestCase {
    private static final double MIN_COSINE = 0.9999;
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
        assertMatchesReference("e5-small-v2", E5SmallV2EmbeddingModel::new, "passage: ", "query: ");
    }

    public void testE5SmallV2Int8() throws IOException {
        assertMatchesReference("e5-small-v2-int8", E5SmallV2QuantizedEmbeddingModel::new, "passage: ", "query: ");
    }

    public void testBgeSmallZh() throws IOException {
        assertMatchesReference("bge-small-zh-v1.5", BgeSmallZhV15EmbeddingModel::new, "", BGE_ZH_INSTRUCTION);
    }

    public void testAllMiniLmL6V2() throws IOException {
        assertMatchesReference("all-minilm-l6-v2", AllMiniLmL6V2EmbeddingModel::new, "", "");
    }

    private void assertMatchesReference(String pack, Supplier<EmbeddingModel> reference, String documentPrompt, String queryPrompt)
        throws IOException {
        List<String> texts = texts();
        List<Map<String, Object>> documents = embed(pack, "document", texts);
        List<Map<String, Object>> queries = embed(pack, "query", texts);
        List<float[]> ingested = ingest(pack, texts);

        // only texts the pack keeps whole: langchain4j splits longer ones, the node truncates them
        List<Integer> whole = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (Boolean.FALSE.equals(documents.get(i).get("truncated")) && Boolean.FALSE.equals(queries.get(i).get("truncated"))) {
                whole.add(i);
            }
        }
        assertTrue(pack + ": only " + whole.size() + " texts fit the pack", whole.size() >= MIN_TEXTS);

        EmbeddingModel model = reference.get();
        List<float[]> referenceDocuments = referenceVectors(model, texts, whole, documentPrompt);
        List<float[]> referenceQueries = referenceVectors(model, texts, whole, queryPrompt);
        double minDocument = 1, minQuery = 1, minIngest = 1;
        List<String> below = new ArrayList<>();
        for (int k = 0; k < whole.size(); k++) {
            int i = whole.get(k);
            double document = GoldenVectors.cosine(NodeCalls.floats(documents.get(i).get("vector")), referenceDocuments.get(k));
            double query = GoldenVectors.cosine(NodeCalls.floats(queries.get(i).get("vector")), referenceQueries.get(k));
            double ingest = GoldenVectors.cosine(ingested.get(i), referenceDocuments.get(k));
            minDocument = Math.min(minDocument, document);
            minQuery = Math.min(minQuery, query);
            minIngest = Math.min(minIngest, ingest);
            if (Math.min(document, Math.min(query, ingest)) < MIN_COSINE) {
                below.add(String.format(Locale.ROOT, "[%s] document %.6f query %.6f ingest %.6f", texts.get(i), document, query, ingest));
            }
        }
        logger.info(
            "pack [{}]: {} texts, min cosine against langchain4j: _embed documents {}, _embed queries {}, ingest {}",
            pack,
            whole.size(),
            minDocument,
            minQuery,
            minIngest
        );
        assertTrue(pack + ": texts below " + MIN_COSINE + ":\n" + String.join("\n", below), below.isEmpty());
    }

    private static List<float[]> referenceVectors(EmbeddingModel model, List<String> texts, List<Integer> which, String prompt) {
        List<TextSegment> segments = which.stream().map(i -> TextSegment.from(prompt + texts.get(i))).collect(Collectors.toList());
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
