package io.instructembed.cluster;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import org.apache.hc.core5.http.HttpHost;
import org.opensearch.client.Request;
import org.opensearch.client.RestClient;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The instruct_text field type on two nodes: the mapping is created through one node and extended
 * through the other, documents are written through the second (shards on both), and both nodes
 * answer text queries over vectors equal to _embed.
 */
public class InstructTextMultiNodeIT extends OpenSearchRestTestCase {


    @SuppressWarnings("unchecked")
    public void testMappingOnOneNodeDocumentsThroughTheOther() throws Exception {
        List<HttpHost> hosts = getClusterHosts();
        assertEquals(2, hosts.size());
        try (
            RestClient first = buildClient(restClientSettings(), new HttpHost[] { hosts.get(0) });
            RestClient second = buildClient(restClientSettings(), new HttpHost[] { hosts.get(1) })
        ) {
            NodeCalls.json(
                first,
                "PUT",
                "/multi-text",
                "{\"settings\":{\"index.knn\":true,\"number_of_shards\":4,\"number_of_replicas\":0},"
                    + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"bge-small-en-v1.5\"}}}}"
            );
            NodeCalls.json(
                second,
                "PUT",
                "/multi-text/_mapping",
                "{\"properties\":{\"title\":{\"type\":\"instruct_text\",\"model_id\":\"bge-small-en-v1.5\",\"chunking\":false}}}"
            );
            List<Golden> golden = GoldenVectors.documents().subList(0, 12);
            StringBuilder bulk = new StringBuilder();
            for (int i = 0; i < golden.size(); i++) {
                bulk.append("{\"index\":{\"_index\":\"multi-text\",\"_id\":\"").append(i).append("\"}}\n");
                bulk.append("{\"body\":").append(Json.quote(golden.get(i).text())).append(",\"title\":\"title ").append(i).append("\"}\n");
            }
            Request request = new Request("POST", "/_bulk?refresh=true");
            request.setJsonEntity(bulk.toString());
            assertEquals(false, entityAsMap(second.performRequest(request)).get("errors"));

            // shards on both nodes, so both wrote vectors
            List<Map<String, Object>> shards = (List<Map<String, Object>>) (List<?>) entityAsList(
                first.performRequest(new Request("GET", "/_cat/shards/multi-text?format=json"))
            );
            assertEquals(2, shards.stream().map(s -> s.get("node")).distinct().count());

            for (int i = 0; i < golden.size(); i++) {
                Map<String, Object> source = (Map<String, Object>) NodeCalls.json(first, "GET", "/multi-text/_doc/" + i + "?_source_includes=body_instruct,title_instruct", null)
                    .get("_source");
                List<Map<String, Object>> chunks = (List<Map<String, Object>>) ((Map<String, Object>) source.get("body_instruct")).get("chunks");
                for (Map<String, Object> chunk : chunks) {
                    float[] expected = NodeCalls.embed(first, "bge-small-en-v1.5", (String) chunk.get("text"), "document");
                    assertTrue(GoldenVectors.cosine(NodeCalls.floats(chunk.get("vector")), expected) >= 0.9999);
                }
                float[] title = NodeCalls.floats(((Map<String, Object>) source.get("title_instruct")).get("vector"));
                assertTrue(GoldenVectors.cosine(title, NodeCalls.embed(second, "bge-small-en-v1.5", "title " + i, "document")) >= 0.9999);
            }
            String query = "{\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":" + Json.quote(golden.get(5).text())
                + ",\"task\":\"similarity\",\"k\":3}}}}";
            for (RestClient client : List.of(first, second)) {
                List<Map<String, Object>> hits = (List<Map<String, Object>>) ((Map<String, Object>) NodeCalls.json(client, "POST", "/multi-text/_search", query)
                    .get("hits")).get("hits");
                assertEquals("5", hits.get(0).get("_id"));
            }
        }
    }
}
