package io.instructembed.ingest;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import org.opensearch.client.Request;
import org.opensearch.client.RequestOptions;
import org.opensearch.client.WarningsHandler;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code skip_existing} on a real node: an unchanged re-send embeds nothing, a changed text is
 * embedded (and only it), updates and update-by-query reuse what they can, a change of model, task
 * or chunking always re-embeds, and concurrent writers never leave a vector that is not its text's.
 */
public class SkipExistingIT extends OpenSearchRestTestCase {
    private static final String BGE = "bge-small-en-v1.5";

    private static String vector(int dims) {
        return "{\"type\":\"knn_vector\",\"dimension\":" + dims + ",\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}";
    }

    private static final String FINGERPRINT = "{\"type\":\"keyword\",\"index\":false,\"doc_values\":false}";

    private void put(String path, String json) throws IOException {
        Request request = new Request("PUT", path);
        request.setJsonEntity(json);
        client().performRequest(request);
    }

    private Map<String, Object> post(String path, String json) throws IOException {
        Request request = new Request("POST", path);
        request.setJsonEntity(json);
        // OpenSearch 3.x warns that running the default pipeline on _update is deprecated; it still does
        RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
        options.setWarningsHandler(WarningsHandler.PERMISSIVE);
        request.setOptions(options);
        return entityAsMap(client().performRequest(request));
    }

    private void pipeline(String id, String processor) throws IOException {
        put("/_ingest/pipeline/" + id, "{\"processors\":[{\"instruct_embedding\":" + processor + "}]}");
    }

    private void index(String index, String pipeline, String properties) throws IOException {
        put(
            "/" + index,
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0,\"index.default_pipeline\":\"" + pipeline
                + "\"},\"mappings\":{\"properties\":" + properties + "}}"
        );
    }

    @SuppressWarnings("unchecked")
    private long[] skipStats(String model) throws IOException {
        Map<String, Object> stats = (Map<String, Object>) NodeCalls.modelStats(client(), model).get("skip_existing");
        return new long[] { ((Number) stats.get("texts_skipped")).longValue(), ((Number) stats.get("texts_embedded")).longValue() };
    }

    /** Texts skipped and embedded by {@code model} while {@code action} runs. */
    private long[] during(String model, IoAction action) throws IOException {
        long[] before = skipStats(model);
        action.run();
        long[] after = skipStats(model);
        return new long[] { after[0] - before[0], after[1] - before[1] };
    }

    interface IoAction {
        void run() throws IOException;
    }

    private void bulk(String index, List<String> ids, List<String> sources) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < ids.size(); i++) {
            body.append("{\"index\":{\"_id\":\"").append(ids.get(i)).append("\"}}\n").append(sources.get(i)).append('\n');
        }
        Request request = new Request("POST", "/" + index + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(body.toString());
        Map<String, Object> response = entityAsMap(client().performRequest(request));
        assertEquals(response.toString().substring(0, Math.min(2000, response.toString().length())), false, response.get("errors"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> source(String index, String id) throws IOException {
        return (Map<String, Object>) entityAsMap(client().performRequest(new Request("GET", "/" + index + "/_doc/" + id))).get("_source");
    }

    private void assertVectorIsTextsOwn(String index, String id, String model) throws IOException {
        assertVectorIsTextsOwn(index, id, model, 0.9999);
    }

    private void assertVectorIsTextsOwn(String index, String id, String model, double minCosine) throws IOException {
        Map<String, Object> source = source(index, id);
        double cosine = GoldenVectors.cosine(NodeCalls.embed(client(), model, (String) source.get("text"), "document"), NodeCalls.floats(source.get("vec")));
        assertTrue(index + "/" + id + " cosine " + cosine, cosine >= minCosine);
        assertNotNull(source.get("vec_fingerprint"));
    }

    private static List<String> texts() throws IOException {
        return GoldenVectors.documents().stream().map(GoldenVectors.Golden::text).filter(t -> t.length() < 2000).limit(12).toList();
    }

    public void testResendsEmbedOnlyChangedTexts() throws IOException {
        String index = "it-skip";
        pipeline(index, "{\"model_id\":\"" + BGE + "\",\"field_map\":{\"text\":\"vec\",\"paragraphs\":\"paragraph_vectors\"},\"skip_existing\":true}");
        index(index, index, "{\"text\":{\"type\":\"text\"},\"n\":{\"type\":\"integer\"},\"vec\":" + vector(384) + ",\"vec_fingerprint\":" + FINGERPRINT
            + ",\"paragraph_vectors\":{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},\"vector\":" + vector(384) + "}}}");
        List<String> texts = texts();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            ids.add("d" + i);
        }
        List<String> first = new ArrayList<>();
        List<String> metadataOnly = new ArrayList<>();
        List<String> someChanged = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String paragraphs = ",\"paragraphs\":[\"first paragraph of " + i + "\",\"second paragraph\"]";
            first.add("{\"text\":" + Json.quote(texts.get(i)) + ",\"n\":0" + paragraphs + "}");
            metadataOnly.add("{\"text\":" + Json.quote(texts.get(i)) + ",\"n\":1" + paragraphs + "}");
            someChanged.add("{\"text\":" + Json.quote(i % 4 == 0 ? "Changed: " + texts.get(i) : texts.get(i)) + ",\"n\":2" + paragraphs + "}");
        }
        int perDocument = 3;  // text plus two paragraphs
        long[] firstPass = during(BGE, () -> bulk(index, ids, first));
        assertArrayEquals(new long[] { 0, (long) texts.size() * perDocument }, firstPass);
        Map<String, Object> before = source(index, "d1");

        long[] unchanged = during(BGE, () -> bulk(index, ids, metadataOnly));
        assertArrayEquals("an unchanged re-send embeds nothing", new long[] { (long) texts.size() * perDocument, 0 }, unchanged);
        Map<String, Object> after = source(index, "d1");
        assertEquals(1, after.get("n"));
        assertEquals(before.get("vec"), after.get("vec"));
        assertEquals(before.get("paragraph_vectors"), after.get("paragraph_vectors"));

        long changedCount = (texts.size() + 3) / 4;
        long[] changed = during(BGE, () -> bulk(index, ids, someChanged));
        assertArrayEquals(new long[] { texts.size() * perDocument - changedCount, changedCount }, changed);
        for (int i = 0; i < texts.size(); i++) {
            assertVectorIsTextsOwn(index, "d" + i, BGE);
        }

        // updates go through the default pipeline with the whole merged document
        long[] partialMetadata = during(BGE, () -> post("/" + index + "/_update/d1?refresh=true", "{\"doc\":{\"n\":7}}"));
        assertArrayEquals(new long[] { perDocument, 0 }, partialMetadata);
        long[] partialText = during(BGE, () -> post("/" + index + "/_update/d1?refresh=true", "{\"doc\":{\"text\":\"Volcanoes erupt when magma rises.\"}}"));
        assertArrayEquals(new long[] { perDocument - 1, 1 }, partialText);
        assertVectorIsTextsOwn(index, "d1", BGE);
        long[] script = during(BGE, () -> post("/" + index + "/_update/d2?refresh=true", "{\"script\":{\"source\":\"ctx._source.n += 1\"}}"));
        assertArrayEquals(new long[] { perDocument, 0 }, script);
        long[] byQuery = during(BGE, () -> post("/" + index + "/_update_by_query?refresh=true", "{\"query\":{\"match_all\":{}}}"));
        assertArrayEquals(new long[] { (long) texts.size() * perDocument, 0 }, byQuery);
        for (int i = 0; i < texts.size(); i++) {
            assertVectorIsTextsOwn(index, "d" + i, BGE);
        }
    }

    public void testAChangedModelTaskOrChunkingAlwaysReembeds() throws IOException {
        String index = "it-skip-changes";
        List<String> texts = texts().subList(0, 4);
        List<String> ids = List.of("a", "b", "c", "d");
        List<String> sources = texts.stream().map(t -> "{\"text\":" + Json.quote(t) + ",\"body\":" + Json.quote(t + " " + t) + "}").toList();
        pipeline(index, "{\"model_id\":\"" + BGE + "\",\"field_map\":{\"text\":\"vec\"},\"skip_existing\":true}");
        index(index, index, "{\"text\":{\"type\":\"text\"},\"vec\":" + vector(384) + "}");
        bulk(index, ids, sources);
        assertArrayEquals(new long[] { 4, 0 }, during(BGE, () -> bulk(index, ids, sources)));

        // another model of the same dimensions: not into the field the first one wrote (one field, one model), but
        // re-embedded into a new index, where the stored fingerprints of the old model are never reused
        Object fp32 = source(index, "a").get("vec");
        pipeline(index, "{\"model_id\":\"bge-small-en-v1.5-int8\",\"field_map\":{\"text\":\"vec\"},\"skip_existing\":true}");
        AssertionError refused = expectThrows(AssertionError.class, () -> bulk(index, ids, sources));
        assertTrue(refused.getMessage(), refused.getMessage().contains("holds vectors of model [" + BGE + "]"));
        String int8 = index + "-int8";
        index(int8, index, "{\"text\":{\"type\":\"text\"},\"vec\":" + vector(384) + "}");
        assertArrayEquals(new long[] { 0, 4 }, during("bge-small-en-v1.5-int8", () -> post(
            "/_reindex?refresh=true", "{\"source\":{\"index\":\"" + index + "\"},\"dest\":{\"index\":\"" + int8 + "\"}}"
        )));
        assertNotEquals(fp32, source(int8, "a").get("vec"));
        // int8 activations are quantised per batch, so a batched vector differs slightly from a lone one
        assertVectorIsTextsOwn(int8, "a", "bge-small-en-v1.5-int8", 0.99);

        // chunking, then other chunking options
        String chunked = "it-skip-chunks";
        pipeline(chunked, "{\"model_id\":\"" + BGE + "\",\"field_map\":{\"body\":\"chunks\"},\"skip_existing\":true,\"chunking\":{\"max_tokens\":64}}");
        index(chunked, chunked, "{\"chunks\":{\"type\":\"nested\",\"properties\":{\"vector\":" + vector(384) + "}}}");
        bulk(chunked, ids, sources);
        assertArrayEquals(new long[] { 4, 0 }, during(BGE, () -> bulk(chunked, ids, sources)));
        pipeline(chunked, "{\"model_id\":\"" + BGE + "\",\"field_map\":{\"body\":\"chunks\"},\"skip_existing\":true,\"chunking\":{\"max_tokens\":32}}");
        assertArrayEquals(new long[] { 0, 4 }, during(BGE, () -> bulk(chunked, ids, sources)));

        // a symmetric task renders documents with the task's instruction: another prompt (sarashina's stand-in weights)
        String sarashina = "sarashina-embedding-v2-1b";
        String tasked = "it-skip-task";
        pipeline(tasked, "{\"model_id\":\"" + sarashina + "\",\"field_map\":{\"text\":\"vec\"},\"skip_existing\":true}");
        index(tasked, tasked, "{\"vec\":" + vector(1792) + "}");
        bulk(tasked, ids, sources);
        assertArrayEquals(new long[] { 4, 0 }, during(sarashina, () -> bulk(tasked, ids, sources)));
        pipeline(tasked, "{\"model_id\":\"" + sarashina + "\",\"field_map\":{\"text\":\"vec\"},\"skip_existing\":true,\"task\":\"sts\"}");
        assertArrayEquals(new long[] { 0, 4 }, during(sarashina, () -> bulk(tasked, ids, sources)));

        // without skip_existing, a fingerprint the client sends is never kept: the index maps vec_fingerprint, so the
        // processor writes the text's own (the write rule reads it); where it is not mapped, none is written
        pipeline(index, "{\"model_id\":\"" + BGE + "\",\"field_map\":{\"text\":\"vec\"}}");
        bulk(index, List.of("a"), List.of("{\"text\":\"plain\",\"vec_fingerprint\":\"forged\"}"));
        assertEquals(
            io.instructembed.writerule.TextDigest.of(List.of("plain"), false),
            io.instructembed.writerule.TextDigest.textPart(source(index, "a").get("vec_fingerprint"))
        );
    }

    public void testConcurrentWritersLeaveEveryVectorMatchingItsText() throws Exception {
        String index = "it-skip-concurrent";
        pipeline(index, "{\"model_id\":\"" + BGE + "\",\"field_map\":{\"text\":\"vec\"},\"skip_existing\":true}");
        index(index, index, "{\"text\":{\"type\":\"text\"},\"vec\":" + vector(384) + ",\"vec_fingerprint\":" + FINGERPRINT + "}");
        List<String> choices = texts().subList(0, 3);
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int client = c;
                runs.add(clients.submit(() -> {
                    for (int round = 0; round < 12; round++) {
                        String id = "doc" + ((client + round) % 3);
                        String text = choices.get((client * 7 + round) % choices.size());
                        if (round % 3 == 2) {
                            post("/" + index + "/_update/" + id + "?retry_on_conflict=5", "{\"doc\":{\"text\":" + Json.quote(text) + "},\"doc_as_upsert\":true}");
                        } else {
                            Request request = new Request("PUT", "/" + index + "/_doc/" + id);
                            request.setJsonEntity("{\"text\":" + Json.quote(text) + ",\"round\":" + round + "}");
                            client().performRequest(request);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get(5, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
        }
        client().performRequest(new Request("POST", "/" + index + "/_refresh"));
        for (int d = 0; d < 3; d++) {
            assertVectorIsTextsOwn(index, "doc" + d, BGE);
        }
    }
}
