package io.instructembed.large;

import org.opensearch.client.Request;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The Sarashina (1792 d) and SFR (4096 d) packs end to end on a real node, with stand-in weights of
 * the real signatures in config/instruct-embed/packs: _embed, ingest into knn_vector fields of those
 * sizes (lucene), and instruct_knn.
 */
public class LargePacksIT extends OpenSearchRestTestCase {

    private static final List<String> LAST_WORDS = List.of("apple", "banana", "cherry", "river", "mountain", "ocean", "tokyo", "coffee");

    private void put(String path, String json) throws IOException {
        Request request = new Request("PUT", path);
        request.setJsonEntity(json);
        client().performRequest(request);
    }

    @SuppressWarnings("unchecked")
    public void testTheLargePacksAreAvailableWithUserInstalledWeights() throws IOException {
        Map<String, Object> models = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/models")));
        for (Map<String, Object> model : (List<Map<String, Object>>) models.get("models")) {
            if (((String) model.get("model_id")).startsWith("test-pack-") == false) {  // fixtures of other tests
                assertEquals(model.get("model_id") + " is available", "available", model.get("state"));
            }
        }
        Map<String, Object> sarashina = entityAsMap(
            client().performRequest(new Request("GET", "/_plugins/_instruct_embed/models/sarashina-embedding-v2-1b"))
        );
        assertEquals(1792, sarashina.get("dimensions"));
        assertTrue(((String) sarashina.get("license")).contains("NonCommercial"));
        assertEquals(
            "task: {instruction}\nquery: {text}",
            ((Map<String, Object>) sarashina.get("prompts")).get("query")
        );
        assertTrue(((Map<String, Object>) sarashina.get("tasks")).containsKey("clustering"));
    }

    @SuppressWarnings("unchecked")
    public void testEmbedGivesTheModelsDimensions() throws IOException {
        for (Map.Entry<String, Integer> model : Map.of("sarashina-embedding-v2-1b", 1792, "sfr-embedding-2-r", 4096, "sfr-embedding-mistral", 4096)
            .entrySet()) {
            Request request = new Request("POST", "/_plugins/_instruct_embed/_embed");
            request.setJsonEntity("{\"model_id\":\"" + model.getKey() + "\",\"input_type\":\"query\",\"texts\":[\"apple\",\"tokyo osaka\"]}");
            Map<String, Object> response = entityAsMap(client().performRequest(request));
            assertEquals(model.getValue(), response.get("dimensions"));
            List<Map<String, Object>> embeddings = (List<Map<String, Object>>) response.get("embeddings");
            assertEquals(model.getValue().intValue(), ((List<?>) embeddings.get(1).get("vector")).size());
        }
    }

    public void testIndexAndSearch1792And4096DimensionVectors() throws IOException {
        indexAndSearch("sarashina-embedding-v2-1b", 1792, "retrieval");
        indexAndSearch("sfr-embedding-mistral", 4096, "retrieval");
        indexAndSearch("sfr-embedding-2-r", 4096, "fact_checking");
    }

    @SuppressWarnings("unchecked")
    private void indexAndSearch(String model, int dims, String task) throws IOException {
        String index = "large-" + model;
        put("/_ingest/pipeline/" + index, "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + model + "\",\"field_map\":{\"text\":\"vec\"}}}]}");
        put(
            "/" + index,
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"" + index + "\"},"
                + "\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},\"vec\":{\"type\":\"knn_vector\",\"dimension\":" + dims
                + ",\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}"
        );
        StringBuilder bulk = new StringBuilder();
        for (String word : LAST_WORDS) {
            bulk.append("{\"index\":{\"_id\":\"").append(word).append("\"}}\n");
            bulk.append("{\"text\":\"hello world ").append(word).append("\"}\n");
        }
        Request request = new Request("POST", "/" + index + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(bulk.toString());
        Map<String, Object> indexed = entityAsMap(client().performRequest(request));
        assertEquals(indexed.toString(), false, indexed.get("errors"));
        Map<String, Object> doc = entityAsMap(client().performRequest(new Request("GET", "/" + index + "/_doc/ocean")));
        assertEquals(dims, ((List<?>) ((Map<String, Object>) doc.get("_source")).get("vec")).size());

        for (String word : List.of("cherry", "tokyo")) {
            Request search = new Request("POST", "/" + index + "/_search");
            search.setJsonEntity(
                "{\"size\":1,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"" + word + "\",\"task\":\"" + task + "\",\"k\":3}}}}"
            );
            Map<String, Object> hits = (Map<String, Object>) entityAsMap(client().performRequest(search)).get("hits");
            List<Map<String, Object>> list = (List<Map<String, Object>>) hits.get("hits");
            assertEquals(model + " query " + word, word, list.get(0).get("_id"));
        }
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
