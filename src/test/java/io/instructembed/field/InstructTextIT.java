package io.instructembed.field;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import org.opensearch.client.Request;
import org.opensearch.client.RequestOptions;
import org.opensearch.client.ResponseException;
import org.opensearch.client.WarningsHandler;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code instruct_text} field type on a real node: the one-line mapping of the README, bulk
 * writes (good and bad documents together), stored vectors equal to {@code _embed}, ranking equal
 * to brute force, {@code match} on the text, vectors left out of returned sources unless asked
 * for, partial updates that keep vectors, reindexing, a user's default pipeline alongside, and the
 * mapping-time errors.
 */
public class InstructTextIT extends OpenSearchRestTestCase {
    private static final String MODEL = "bge-small-en-v1.5";

    private Map<String, Object> call(String method, String path, String json) throws IOException {
        Request request = new Request(method, path);
        if (json != null) {
            request.setJsonEntity(json);
        }
        return entityAsMap(client().performRequest(request));
    }

    private ResponseException failure(String method, String path, String json) {
        Request request = new Request(method, path);
        request.setJsonEntity(json);
        return expectThrows(ResponseException.class, () -> client().performRequest(request));
    }

    private void createIndex(String index, String fieldOptions) throws IOException {
        call(
            "PUT",
            "/" + index,
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0},"
                + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"" + fieldOptions + "}}}}"
        );
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> bulk(String index, List<String> sources) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < sources.size(); i++) {
            body.append("{\"index\":{\"_index\":\"").append(index).append("\",\"_id\":\"").append(i).append("\"}}\n");
            body.append(sources.get(i)).append('\n');
        }
        Request request = new Request("POST", "/_bulk?refresh=true");
        request.setJsonEntity(body.toString());
        return entityAsMap(client().performRequest(request));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> source(String index, String id, String includes) throws IOException {
        String path = "/" + index + "/_doc/" + id + (includes == null ? "" : "?_source_includes=" + includes);
        return (Map<String, Object>) call("GET", path, null).get("_source");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> hits(Map<String, Object> response) {
        return (List<Map<String, Object>>) ((Map<String, Object>) response.get("hits")).get("hits");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> chunks(Map<String, Object> source) {
        return (List<Map<String, Object>>) ((Map<String, Object>) source.get("body_instruct")).get("chunks");
    }

    /**
     * The README's first example: one mapping line, documents, a search by text. Every stored
     * vector equals _embed of its chunk's text, the ranking and scores equal brute force over the
     * stored vectors, a bad document fails alone naming the field, and sources come back without
     * vectors unless asked for.
     */
    @SuppressWarnings("unchecked")
    public void testOneMappingLineIndexesAndSearchesByText() throws IOException {
        createIndex("it-text", "");
        List<Golden> golden = GoldenVectors.documents();
        List<String> sources = new ArrayList<>();
        for (Golden document : golden) {
            sources.add("{\"body\":" + Json.quote(document.text()) + "}");
        }
        sources.add("{\"body\":{\"not\":\"text\"}}");
        sources.add("{\"title\":\"a document without the field\"}");
        Map<String, Object> bulk = bulk("it-text", sources);
        List<Map<String, Object>> items = (List<Map<String, Object>>) bulk.get("items");
        int created = 0;
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> item = (Map<String, Object>) items.get(i).get("index");
            if (i == golden.size()) {
                assertEquals(400, item.get("status"));
                assertTrue(item.toString(), ((Map<String, Object>) item.get("error")).get("reason").toString().contains("[body]"));
            } else {
                assertEquals(item.toString(), 201, item.get("status"));
                created++;
            }
        }
        assertEquals(golden.size() + 1, created);
        assertEquals(golden.size() + 1, ((Number) call("GET", "/it-text/_count", null).get("count")).intValue());

        // stored vectors: one per chunk, each equal to _embed of the chunk's text (and, for a text that
        // fits the model, to the golden reference of the whole text); long texts give several chunks
        Map<String, List<float[]>> stored = new LinkedHashMap<>();
        int longTexts = 0;
        for (int i = 0; i < golden.size(); i++) {
            List<Map<String, Object>> chunks = chunks(source("it-text", String.valueOf(i), "body_instruct"));
            List<float[]> vectors = new ArrayList<>();
            for (Map<String, Object> chunk : chunks) {
                float[] vector = NodeCalls.floats(chunk.get("vector"));
                String text = (String) chunk.get("text");
                List<Integer> offsets = (List<Integer>) chunk.get("offsets");
                assertEquals(golden.get(i).text().substring(offsets.get(0), offsets.get(1)), text);
                assertTrue(GoldenVectors.cosine(vector, NodeCalls.embed(client(), MODEL, text, "document")) >= 0.9999);
                vectors.add(vector);
            }
            if (chunks.size() == 1) {
                assertTrue(GoldenVectors.cosine(vectors.get(0), golden.get(i).vector()) >= 0.9999);
            } else {
                longTexts++;
            }
            stored.put(String.valueOf(i), vectors);
        }
        assertTrue("the golden set has short texts", longTexts < golden.size());
        // a plain get or search leaves the vectors out; the text and the chunk offsets stay
        Map<String, Object> plain = source("it-text", "0", null);
        assertEquals(golden.get(0).text(), plain.get("body"));
        assertFalse(chunks(plain).get(0).containsKey("vector"));
        assertEquals(0, ((List<?>) chunks(plain).get(0).get("offsets")).get(0));

        // search by text: ranking and scores equal brute force over the stored vectors
        String query = GoldenVectors.queries().get(0).text();
        float[] queryVector = NodeCalls.embed(client(), MODEL, query, "query");
        List<Map.Entry<String, Double>> expected = new ArrayList<>();
        for (Map.Entry<String, List<float[]>> entry : stored.entrySet()) {
            double best = Double.NEGATIVE_INFINITY;
            for (float[] chunk : entry.getValue()) {
                best = Math.max(best, (1 + GoldenVectors.cosine(queryVector, chunk)) / 2);
            }
            expected.add(Map.entry(entry.getKey(), best));
        }
        expected.sort(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()));
        Map<String, Object> response = call(
            "POST",
            "/it-text/_search",
            "{\"size\":5,\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":" + Json.quote(query) + ",\"task\":\"retrieval\",\"k\":5}}}}"
        );
        List<Map<String, Object>> hits = hits(response);
        assertEquals(5, hits.size());
        for (int i = 0; i < hits.size(); i++) {
            assertEquals(expected.get(i).getKey(), hits.get(i).get("_id"));
            assertEquals(expected.get(i).getValue(), ((Number) hits.get(i).get("_score")).doubleValue(), 1e-4);
            Map<String, Object> source = (Map<String, Object>) hits.get(i).get("_source");
            assertFalse(chunks(source).get(0).containsKey("vector"));
            assertNotNull(((Map<String, Object>) hits.get(i).get("inner_hits")).get("body_instruct.chunks"));
        }
        // asked for by name, the vectors come back
        Map<String, Object> withVectors = call(
            "POST",
            "/it-text/_search",
            "{\"_source\":[\"body_instruct\"],\"query\":{\"ids\":{\"values\":[\"0\"]}}}"
        );
        // the vector itself, not the "vector": 1 that k-NN's derived source gives for an include of the object
        Object vector = chunks((Map<String, Object>) hits(withVectors).get(0).get("_source")).get(0).get("vector");
        assertTrue(String.valueOf(vector), vector instanceof List<?> list && list.size() == 384);
        // _msearch leaves them out as _search does, and gives them when asked for by name
        Request multi = new Request("POST", "/it-text/_msearch");
        multi.setJsonEntity("{}\n{\"query\":{\"ids\":{\"values\":[\"0\"]}}}\n{}\n{\"_source\":[\"body_instruct\"],\"query\":{\"ids\":{\"values\":[\"0\"]}}}\n");
        List<Map<String, Object>> responses = (List<Map<String, Object>>) entityAsMap(client().performRequest(multi)).get("responses");
        assertFalse(chunks((Map<String, Object>) hits(responses.get(0)).get(0).get("_source")).get(0).containsKey("vector"));
        Object asked = chunks((Map<String, Object>) hits(responses.get(1)).get(0).get("_source")).get(0).get("vector");
        assertTrue(String.valueOf(asked), asked instanceof List<?> list && list.size() == 384);
        // the text stays searchable as text
        String word = golden.get(3).text().split(" ")[1];
        Map<String, Object> match = call("POST", "/it-text/_search", "{\"query\":{\"match\":{\"body\":" + Json.quote(word) + "}}}");
        assertFalse(hits(match).isEmpty());
    }

    /** chunking false: one vector per document in body_instruct.vector, searched directly. */
    @SuppressWarnings("unchecked")
    public void testUnchunkedFieldKeepsOneVector() throws IOException {
        createIndex("it-flat", ",\"chunking\":false,\"vector\":{\"space_type\":\"innerproduct\"}");
        Map<String, Object> mapping = (Map<String, Object>) ((Map<String, Object>) call("GET", "/it-flat/_mapping", null).get("it-flat")).get("mappings");
        Map<String, Object> vector = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) mapping.get("properties"))
            .get("body_instruct")).get("properties")).get("vector");
        assertEquals("knn_vector", vector.get("type"));
        assertEquals(384, vector.get("dimension"));
        assertEquals("lucene", ((Map<String, Object>) vector.get("method")).get("engine"));
        assertEquals("innerproduct", ((Map<String, Object>) vector.get("method")).get("space_type"));
        List<Golden> golden = GoldenVectors.documents().subList(0, 6);
        List<String> sources = new ArrayList<>();
        for (Golden document : golden) {
            sources.add("{\"body\":" + Json.quote(document.text()) + "}");
        }
        assertEquals(false, bulk("it-flat", sources).get("errors"));
        Map<String, Object> stored = (Map<String, Object>) source("it-flat", "2", "body_instruct").get("body_instruct");
        assertTrue(GoldenVectors.cosine(NodeCalls.floats(stored.get("vector")), golden.get(2).vector()) >= 0.9999);
        Map<String, Object> response = call(
            "POST",
            "/it-flat/_search",
            "{\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":" + Json.quote(golden.get(2).text()) + ",\"task\":\"similarity\",\"k\":3}}}}"
        );
        assertEquals("2", hits(response).get(0).get("_id"));
    }

    @SuppressWarnings("unchecked")
    private static String itemError(Map<String, Object> bulk, int item) {
        Map<String, Object> result = (Map<String, Object>) ((Map<String, Object>) ((List<Object>) bulk.get("items")).get(item)).get("index");
        Map<String, Object> error = (Map<String, Object>) result.get("error");
        return error == null ? null : result.get("status") + " " + error.get("reason");
    }

    /**
     * The per-document limits count all the instruct_text fields of a document together, as they
     * count all the fields of a processor (issue #21, item 2): each field under the limit, the
     * document over it, fails alone, naming each field's share.
     */
    public void testDocumentLimitsCountAllInstructTextFieldsTogether() throws IOException {
        String field = "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"";
        call(
            "PUT",
            "/it-doc-limits",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},\"mappings\":{\"properties\":{"
                + "\"title\":" + field + "},\"body\":" + field + "},"
                + "\"a\":" + field + ",\"chunking\":false},\"b\":" + field + ",\"chunking\":false},\"c\":" + field + ",\"chunking\":false}}}}"
        );
        call("PUT", "/_cluster/settings", "{\"transient\":{\"instruct_embed.limits.max_document_chars\":500,"
            + "\"instruct_embed.limits.max_texts_per_document\":2}}");
        try {
            String words300 = Json.quote("word ".repeat(60));
            String words200 = Json.quote("word ".repeat(40));
            Map<String, Object> response = bulk(
                "it-doc-limits",
                List.of(
                    "{\"title\":" + words300 + ",\"body\":" + words300 + "}",
                    "{\"title\":" + words200 + ",\"body\":" + words200 + "}",
                    "{\"a\":\"one\",\"b\":\"two\",\"c\":\"three\"}",
                    "{\"a\":\"one\",\"b\":\"two\",\"c\":\" \"}"
                )
            );
            String chars = itemError(response, 0);
            assertNotNull("300 + 300 characters to chunk, over 500", chars);
            assertTrue(chars, chars.startsWith("400 "));
            assertTrue(chars, chars.contains("the document gives 600 characters to chunk ("));
            assertTrue(chars, chars.contains("field [title]: 300") && chars.contains("field [body]: 300"));
            assertTrue(chars, chars.contains("over the limit of 500 per document (instruct_embed.limits.max_document_chars)"));
            assertNull("400 characters in all", itemError(response, 1));
            String texts = itemError(response, 2);
            assertNotNull("three texts embedded whole, over 2", texts);
            assertTrue(texts, texts.contains("the document gives 3 texts to embed (") && texts.contains("field [c]: 1"));
            assertTrue(texts, texts.contains("over the limit of 2 per document (instruct_embed.limits.max_texts_per_document)"));
            assertNull("a blank text is not embedded, so not counted", itemError(response, 3));
        } finally {
            call("PUT", "/_cluster/settings", "{\"transient\":{\"instruct_embed.limits.max_document_chars\":null,"
                + "\"instruct_embed.limits.max_texts_per_document\":null}}");
        }
    }

    /**
     * A partial update keeps the stored vectors (skip_existing is on by default), a changed text is
     * embedded again, a reindex into another instruct_text index gives searchable documents, and a
     * user's default pipeline runs before the field is embedded.
     */
    @SuppressWarnings("unchecked")
    public void testUpdatesReindexAndAUserPipeline() throws IOException {
        createIndex("it-upd", "");
        String first = GoldenVectors.documents().get(0).text();
        String second = GoldenVectors.documents().get(1).text();
        call("PUT", "/it-upd/_doc/1?refresh=true", "{\"body\":" + Json.quote(first) + "}");
        long skippedBefore = skipStat("texts_skipped");
        call("POST", "/it-upd/_update/1?refresh=true", "{\"doc\":{\"tag\":\"reviewed\"}}");
        assertEquals(skippedBefore + 1, skipStat("texts_skipped"));
        float[] kept = NodeCalls.floats(chunks(source("it-upd", "1", "body_instruct")).get(0).get("vector"));
        assertTrue(GoldenVectors.cosine(kept, NodeCalls.embed(client(), MODEL, first, "document")) >= 0.9999);

        call("POST", "/it-upd/_update/1?refresh=true", "{\"doc\":{\"body\":" + Json.quote(second) + "}}");
        float[] changed = NodeCalls.floats(chunks(source("it-upd", "1", "body_instruct")).get(0).get("vector"));
        assertTrue(GoldenVectors.cosine(changed, NodeCalls.embed(client(), MODEL, second, "document")) >= 0.9999);

        createIndex("it-upd-copy", "");
        Map<String, Object> reindex = call("POST", "/_reindex?refresh=true", "{\"source\":{\"index\":\"it-upd\"},\"dest\":{\"index\":\"it-upd-copy\"}}");
        assertEquals(1, reindex.get("created"));
        Map<String, Object> copied = source("it-upd-copy", "1", null);
        assertEquals(second, copied.get("body"));
        assertEquals("reviewed", copied.get("tag"));
        Map<String, Object> found = call(
            "POST",
            "/it-upd-copy/_search",
            "{\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":" + Json.quote(second) + ",\"task\":\"similarity\",\"k\":1}}}}"
        );
        assertEquals("1", hits(found).get(0).get("_id"));

        call("PUT", "/_ingest/pipeline/it-user", "{\"processors\":[{\"set\":{\"field\":\"body\",\"value\":\"{{{title}}}: {{{summary}}}\"}}]}");
        call(
            "PUT",
            "/it-piped",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"it-user\"},"
                + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"}}}}"
        );
        call("PUT", "/it-piped/_doc/1?refresh=true", "{\"title\":\"Neurons\",\"summary\":\"they talk through synapses\"}");
        Map<String, Object> piped = source("it-piped", "1", "body,body_instruct");
        assertEquals("Neurons: they talk through synapses", piped.get("body"));
        assertTrue(
            GoldenVectors.cosine(
                NodeCalls.floats(chunks(piped).get(0).get("vector")),
                NodeCalls.embed(client(), MODEL, "Neurons: they talk through synapses", "document")
            ) >= 0.9999
        );
    }

    private long skipStat(String name) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> skip = (Map<String, Object>) NodeCalls.modelStats(client(), MODEL).get("skip_existing");
        return ((Number) skip.get(name)).longValue();
    }

    /** Mapping-time errors are 400s naming the parameter; the vectors' dimension and model cannot change. */
    public void testMappingErrorsNameTheParameter() throws IOException {
        String knn = "{\"settings\":{\"index.knn\":true},\"mappings\":{\"properties\":{\"body\":";
        assertMappingError(knn + "{\"type\":\"instruct_text\",\"model_id\":\"no-such-model\"}}}}", "[model_id] model [no-such-model] not found");
        assertMappingError(knn + "{\"type\":\"instruct_text\"}}}}", "[model_id] is required");
        assertMappingError(knn + "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\",\"task\":\"nope\"}}}}", "[task]");
        assertMappingError(
            knn + "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\",\"chunking\":{\"max_tokens\":100000}}}}}",
            "[chunking] [max_tokens]"
        );
        assertMappingError(knn + "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\",\"chunking\":7}}}}", "[chunking] must be");
        assertMappingError(knn + "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\",\"vector\":{\"dimension\":3}}}}}", "[vector] has no option [dimension]");
        assertMappingError(
            "{\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"}}}}",
            "index.knn"
        );
        assertMappingError(
            knn + "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"},\"body_instruct\":{\"type\":\"keyword\"}}}}",
            "[body_instruct] is reserved"
        );
        assertMappingError(
            knn.replace("\"body\":", "\"parts\":") + "{\"type\":\"nested\",\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL
                + "\"}}}}}}",
            "inside a [nested] field"
        );

        createIndex("it-errors", "");
        ResponseException change = failure(
            "PUT",
            "/it-errors/_mapping",
            "{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"bge-small-en-v1.5-int8\"}}}"
        );
        assertEquals(400, change.getResponse().getStatusLine().getStatusCode());
        assertTrue(change.getMessage(), change.getMessage().contains("model_id"));
        // the same mapping sent again, and the mapping read back and sent again, are accepted
        call("PUT", "/it-errors/_mapping", "{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"}}}");
        @SuppressWarnings("unchecked")
        Map<String, Object> mapping = (Map<String, Object>) ((Map<String, Object>) call("GET", "/it-errors/_mapping", null).get("it-errors")).get("mappings");
        Request readBack = new Request("PUT", "/it-errors/_mapping");
        readBack.setJsonEntity(org.opensearch.common.xcontent.XContentHelper.convertToJson(
            org.opensearch.core.common.bytes.BytesReference.bytes(org.opensearch.common.xcontent.json.JsonXContent.contentBuilder().map(mapping)),
            false,
            org.opensearch.common.xcontent.XContentType.JSON
        ));
        client().performRequest(readBack);
    }

    private void assertMappingError(String body, String expected) {
        ResponseException e = failure("PUT", "/it-bad-" + randomAlphaOfLength(6).toLowerCase(java.util.Locale.ROOT), body);
        assertEquals(e.getMessage(), 400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(e.getMessage(), e.getMessage().contains(expected));
    }

    /** Indices whose field uses different models cannot share one query vector: a 400 naming them. */
    public void testIndicesWithDifferentModelsAreA400() throws IOException {
        createIndex("it-model-a", "");
        call(
            "PUT",
            "/it-model-b",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},"
                + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"bge-small-en-v1.5-int8\"}}}}"
        );
        ResponseException e = failure(
            "POST",
            "/it-model-a,it-model-b/_search",
            "{\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":\"anything\"}}}}"
        );
        assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(e.getMessage(), e.getMessage().contains("it-model-a") && e.getMessage().contains("it-model-b"));
    }

    /** A pack without weights is accepted with a warning; its documents then fail alone, never indexed without vectors. */
    public void testPackWithoutWeightsIsAcceptedWithAWarning() throws IOException {
        Request create = new Request("PUT", "/it-no-weights");
        create.setJsonEntity(
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},"
                + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"test-pack-without-weights\"}}}}"
        );
        RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
        options.setWarningsHandler(WarningsHandler.PERMISSIVE);
        create.setOptions(options);
        org.opensearch.client.Response response = client().performRequest(create);
        assertTrue(String.valueOf(response.getWarnings()), response.getWarnings().toString().contains("no weights installed"));
        ResponseException e = failure("PUT", "/it-no-weights/_doc/1?refresh=true", "{\"body\":\"some text\"}");
        assertTrue(e.getMessage(), e.getResponse().getStatusLine().getStatusCode() < 500 || e.getResponse().getStatusLine().getStatusCode() == 503);
        assertEquals(0, ((Number) call("GET", "/it-no-weights/_count", null).get("count")).intValue());
    }
}
