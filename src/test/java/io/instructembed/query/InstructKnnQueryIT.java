package io.instructembed.query;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.Json;
import org.opensearch.client.Request;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;
import org.junit.Before;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** {@code instruct_knn} on a real node: ranking, bool, nested, msearch, model resolution, cache, errors. */
public class InstructKnnQueryIT extends OpenSearchRestTestCase {

    private static final String MODEL = "bge-small-en-v1.5";
    private static final String INDEX = "it-knn";
    private static boolean indexed;

    private static String vectorField(int dimension) {
        return "{\"type\":\"knn_vector\",\"dimension\":" + dimension
            + ",\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}";
    }

    private void put(String path, String json) throws IOException {
        Request request = new Request("PUT", path);
        request.setJsonEntity(json);
        client().performRequest(request);
    }

    /** The golden documents, embedded through the pipeline named in the index settings. */
    @Before
    public void indexGoldenDocuments() throws IOException {
        if (indexed) {
            return;
        }
        put(
            "/_ingest/pipeline/it-knn-embed",
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
                + "\",\"field_map\":{\"text\":\"vec\",\"paragraphs\":\"paragraph_vectors\"},\"ignore_missing\":true}}]}"
        );
        put(
            "/" + INDEX,
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0,\"index.default_pipeline\":\"it-knn-embed\"},"
                + "\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},\"group\":{\"type\":\"keyword\"},\"vec\":" + vectorField(384)
                + ",\"paragraph_vectors\":{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},\"vector\":" + vectorField(384) + "}}}}}"
        );
        StringBuilder bulk = new StringBuilder();
        List<Golden> golden = GoldenVectors.documents();
        for (int i = 0; i < golden.size(); i++) {
            bulk.append("{\"index\":{\"_id\":\"").append(i).append("\"}}\n");
            bulk.append("{\"text\":").append(Json.quote(golden.get(i).text())).append(",\"group\":\"").append(i % 2 == 0 ? "even" : "odd").append("\"}\n");
        }
        bulk.append("{\"index\":{\"_id\":\"nested-1\"}}\n{\"group\":\"nested\",\"paragraphs\":[\"The mitochondria is the powerhouse of the cell.\",\"Paris is the capital of France.\"]}\n");
        bulk.append("{\"index\":{\"_id\":\"nested-2\"}}\n{\"group\":\"nested\",\"paragraphs\":[\"Whales are mammals that live in the ocean.\"]}\n");
        Request request = new Request("POST", "/" + INDEX + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(bulk.toString());
        Map<String, Object> response = entityAsMap(client().performRequest(request));
        assertEquals(false, response.get("errors"));
        // a second index with the same pipeline, for searches across indices
        put(
            "/it-knn-other",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"it-knn-embed\"},\"mappings\":{\"properties\":{\"vec\":"
                + vectorField(384) + "}}}"
        );
        Request one = new Request("PUT", "/it-knn-other/_doc/other-1");
        one.addParameter("refresh", "true");
        one.setJsonEntity("{\"text\":" + Json.quote(golden.get(0).text()) + "}");
        client().performRequest(one);
        indexed = true;
    }

    @Override
    protected boolean preserveIndicesUponCompletion() {
        return true;
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> search(String index, String body) throws IOException {
        Request request = new Request("POST", "/" + index + "/_search");
        request.setJsonEntity(body);
        Map<String, Object> response = entityAsMap(client().performRequest(request));
        return (List<Map<String, Object>>) ((Map<String, Object>) response.get("hits")).get("hits");
    }

    private static List<String> ids(List<Map<String, Object>> hits) {
        return hits.stream().map(h -> (String) h.get("_id")).toList();
    }

    public void testRankingMatchesBruteForceCosineOverTheGoldenVectors() throws IOException {
        List<Golden> documents = GoldenVectors.documents();
        for (Golden query : GoldenVectors.queries()) {
            List<Map<String, Object>> hits = search(
                INDEX,
                "{\"size\":10,\"_source\":false,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":" + Json.quote(query.text())
                    + ",\"task\":\"retrieval\",\"k\":10,\"method_parameters\":{\"ef_search\":100}}}}}"
            );
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < documents.size(); i++) {
                expected.add(i);
            }
            expected.sort(Comparator.comparingDouble(i -> -GoldenVectors.cosine(query.vector(), documents.get(i).vector())));
            assertEquals(10, hits.size());
            for (int rank = 0; rank < 10; rank++) {
                int doc = Integer.parseInt((String) hits.get(rank).get("_id"));
                double goldenScore = (1 + GoldenVectors.cosine(query.vector(), documents.get(doc).vector())) / 2;
                double score = ((Number) hits.get(rank).get("_score")).doubleValue();
                // lucene's cosine score is (1 + cos) / 2: the stored vectors score as the golden ones do
                assertEquals("query [" + query.text() + "] rank " + rank, goldenScore, score, 1e-4);
                double expectedScore = (1 + GoldenVectors.cosine(query.vector(), documents.get(expected.get(rank)).vector())) / 2;
                assertEquals("query [" + query.text() + "] rank " + rank + " should score like brute force", expectedScore, score, 1e-4);
            }
        }
    }

    public void testModelIsResolvedFromTheIndexPipelineAndGivesTheSameVector() throws IOException {
        String text = GoldenVectors.queries().get(1).text();
        List<String> resolved = ids(search(INDEX, "{\"size\":5,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":" + Json.quote(text) + ",\"k\":5}}}}"));
        List<String> explicit = ids(
            search(INDEX, "{\"size\":5,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":" + Json.quote(text) + ",\"k\":5,\"model_id\":\"" + MODEL + "\"}}}}")
        );
        assertEquals(explicit, resolved);
    }

    @SuppressWarnings("unchecked")
    public void testInsideBoolWithAFilterAndAName() throws IOException {
        String text = GoldenVectors.queries().get(0).text();
        List<Map<String, Object>> hits = search(
            INDEX,
            "{\"size\":30,\"query\":{\"bool\":{\"must\":[{\"instruct_knn\":{\"vec\":{\"query_text\":" + Json.quote(text)
                + ",\"k\":30,\"filter\":{\"term\":{\"group\":\"odd\"}},\"_name\":\"semantic\",\"boost\":2}}}],"
                + "\"filter\":[{\"exists\":{\"field\":\"text\"}}]}}}"
        );
        assertFalse(hits.isEmpty());
        for (Map<String, Object> hit : hits) {
            assertEquals(1, Integer.parseInt((String) hit.get("_id")) % 2);
            assertEquals(List.of("semantic"), hit.get("matched_queries"));
        }
    }

    public void testInsideNestedOverParagraphVectors() throws IOException {
        List<Map<String, Object>> hits = search(
            INDEX,
            "{\"size\":2,\"query\":{\"nested\":{\"path\":\"paragraph_vectors\",\"query\":{\"instruct_knn\":{\"paragraph_vectors.vector\":{"
                + "\"query_text\":\"which animals live in the sea?\",\"k\":5}}}}}}"
        );
        assertEquals("nested-2", hits.get(0).get("_id"));
    }

    @SuppressWarnings("unchecked")
    public void testMsearchAndSeveralIndices() throws IOException {
        String text = GoldenVectors.documents().get(0).text();
        List<Map<String, Object>> both = search(
            INDEX + ",it-knn-other",
            "{\"size\":2,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":" + Json.quote(text) + ",\"task\":\"similarity\",\"k\":2}}}}"
        );
        assertEquals(java.util.Set.of("0", "other-1"), java.util.Set.copyOf(ids(both)));

        Request msearch = new Request("POST", "/_msearch");
        msearch.setJsonEntity(
            "{\"index\":\"" + INDEX + "\"}\n{\"size\":1,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"first search\",\"k\":1}}}}\n"
                + "{\"index\":\"it-knn-other\"}\n{\"size\":1,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"second search\",\"k\":1}}}}\n"
        );
        List<Map<String, Object>> responses = (List<Map<String, Object>>) entityAsMap(client().performRequest(msearch)).get("responses");
        assertEquals(2, responses.size());
        for (Map<String, Object> response : responses) {
            assertEquals(200, response.get("status"));
        }
    }

    @SuppressWarnings("unchecked")
    public void testARepeatedQueryIsACacheHit() throws IOException {
        String body = "{\"size\":1,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"a query seen twice " + randomAlphaOfLength(8) + "\",\"k\":1}}}}";
        Map<String, Object> before = cacheStats();
        search(INDEX, body);
        Map<String, Object> afterFirst = cacheStats();
        search(INDEX, body);
        Map<String, Object> afterSecond = cacheStats();
        assertEquals(((Number) before.get("misses")).longValue() + 1, ((Number) afterFirst.get("misses")).longValue());
        assertEquals(((Number) afterFirst.get("hits")).longValue() + 1, ((Number) afterSecond.get("hits")).longValue());
        assertEquals(((Number) afterFirst.get("misses")).longValue(), ((Number) afterSecond.get("misses")).longValue());
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> cacheStats() throws IOException {
        Map<String, Object> stats = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/_local/stats")));
        Map<String, Object> node = (Map<String, Object>) ((Map<String, Object>) stats.get("nodes")).values().iterator().next();
        Map<String, Object> model = (Map<String, Object>) ((Map<String, Object>) node.get("models")).get(MODEL);
        return (Map<String, Object>) model.get("query_cache");
    }

    public void testErrorsAre400sThatSayWhy() throws IOException {
        put("/it-knn-wide", "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"vec\":" + vectorField(768) + "}}}");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"\"}}}}", "[query_text] is required and must not be empty");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"task\":\"dancing\",\"k\":3}}}}", "has no task [dancing]");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\"}}}}", "[knn] requires exactly one of k, distance or score");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"task\":\"retrieval\",\"instruction\":\"y\"}}}}", "[task] and [instruction] are exclusive");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"vector\":[1,2]}}}}", "takes [query_text], not [vector]");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":\"many\"}}}}", "[knn] failed to parse field [k]");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"text\":{\"query_text\":\"x\",\"k\":3}}}}", "no instruct_embedding processor in the default or final pipeline of [it-knn] writes field [text]");
        assertSearchError(
            INDEX,
            "{\"query\":{\"instruct_knn\":{\"text\":{\"query_text\":\"x\",\"k\":3,\"model_id\":\"" + MODEL + "\"}}}}",
            "target field [text] is mapped as [text], not [knn_vector]"
        );
        assertSearchError(
            "it-knn-wide",
            "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3,\"model_id\":\"" + MODEL + "\"}}}}",
            "has dimension [768] in the mapping, but model [bge-small-en-v1.5] gives [384]"
        );
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3,\"model_id\":\"nope\"}}}}", "model [nope] not found", 404);
    }

    public void testOptionsOfTheWrongTypeAre400sNamingThem() {
        for (String option : List.of("query_text", "task", "instruction", "model_id")) {
            for (String value : List.of("null", "[\"a\"]", "{\"a\":1}", "5")) {
                String other = option.equals("query_text") ? "" : "\"query_text\":\"x\",";
                assertSearchError(
                    INDEX,
                    "{\"query\":{\"instruct_knn\":{\"vec\":{" + other + "\"" + option + "\":" + value + ",\"k\":3}}}}",
                    "[instruct_knn] [" + option + "] must be a string, got "
                );
            }
        }
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3,\"boost\":null}}}}", "[instruct_knn] [boost] must be a finite number");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":null}}}}", "[knn] k doesn't support values of type: VALUE_NULL");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3,\"filter\":null}}}}", "filter doesn't support values of type: VALUE_NULL");
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3,\"inner_hits\":null}}}}", "[inner_hits] must be an object");
        String deep = "{\"a\":".repeat(2000) + "1" + "}".repeat(2000);
        assertSearchError(INDEX, "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3,\"filter\":" + deep + "}}}}", "[filter] cannot be read");
    }

    public void testAQueryTextOverTheLimitIsRefusedBeforeEmbedding() throws IOException {
        String huge = "w ".repeat(1_000_000);  // 2 MB: held the query lane for 3.4 s before the limit
        assertSearchError(
            INDEX,
            "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"" + huge + "\",\"k\":3}}}}",
            "[instruct_knn] [query_text] has 2000000 characters, over the limit of 100000 per text (instruct_embed.limits.max_text_chars)"
        );
    }

    @SuppressWarnings("unchecked")
    public void testModelResolutionIndexByIndex() throws IOException {
        put("/it-knn-plain", "{\"settings\":{\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"title\":{\"type\":\"text\"}}}}");
        put("/it-knn-raw", "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"vec\":" + vectorField(384) + "}}}");
        // ignore_unmapped, no model_id, an index without the field: nothing to find, no error
        Request plain = new Request("POST", "/it-knn-plain/_search");
        plain.setJsonEntity("{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3,\"ignore_unmapped\":true}}}}");
        Map<String, Object> none = entityAsMap(client().performRequest(plain));
        assertEquals(0, ((Map<String, Object>) ((Map<String, Object>) none.get("hits")).get("total")).get("value"));
        // ... and next to an index whose pipeline embeds it: that index's model, its hits
        List<Map<String, Object>> hits = search(
            INDEX + ",it-knn-plain",
            "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"cells\",\"k\":3,\"ignore_unmapped\":true}}}}"
        );
        assertFalse(hits.isEmpty());
        assertTrue(hits.toString(), hits.stream().allMatch(hit -> INDEX.equals(hit.get("_index"))));
        // a wildcard that matches no index: no hits, as OpenSearch answers
        assertEquals(0, search("it-knn-nothing-*", "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3}}}}").size());
        // an index that maps the field but does not embed it: its model cannot be guessed from the other's
        assertSearchError(
            INDEX + ",it-knn-raw",
            "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3}}}}",
            "no instruct_embedding processor of [it-knn-raw] writes it"
        );
        assertSearchError(
            "it-knn-plain",
            "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"x\",\"k\":3}}}}",
            "no instruct_embedding processor in the default or final pipeline of [it-knn-plain] writes field [vec]"
        );
    }

    private void assertSearchError(String index, String body, String reason) {
        assertSearchError(index, body, reason, 400);
    }

    private void assertSearchError(String index, String body, String reason, int status) {
        Request request = new Request("POST", "/" + index + "/_search");
        request.setJsonEntity(body);
        ResponseException e = expectThrows(ResponseException.class, () -> client().performRequest(request));
        assertEquals(body, status, e.getResponse().getStatusLine().getStatusCode());
        assertTrue("expected [" + reason + "] in " + e.getMessage(), e.getMessage().contains(reason));
    }
}
