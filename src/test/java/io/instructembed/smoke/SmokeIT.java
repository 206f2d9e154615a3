package io.instructembed.smoke;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.NodeCalls;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.Json;
import org.opensearch.Version;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The plugin's main path on a real node of the OpenSearch version it was built for, next to that
 * version's k-NN: {@code _embed}, a bulk indexed through an embedding pipeline, and
 * {@code instruct_knn}. scripts/test-versions.sh runs it (with the YAML suite) on every supported
 * version; the full suite runs it on the default one.
 */
public class SmokeIT extends OpenSearchRestTestCase {

    private static final String MODEL = "bge-small-en-v1.5";
    private static final String INDEX = "smoke";

    @SuppressWarnings("unchecked")
    public void testInstalledNextToKnnOfTheSameVersion() throws IOException {
        // the test framework on the classpath is the version the zip was compiled against
        String built = Version.CURRENT.toString();
        Map<String, Object> root = entityAsMap(client().performRequest(new Request("GET", "/")));
        assertEquals(built, ((Map<String, Object>) root.get("version")).get("number"));
        Request plugins = new Request("GET", "/_cat/plugins");
        plugins.addParameter("format", "json");
        plugins.addParameter("h", "component,version");
        List<Object> rows = entityAsList(client().performRequest(plugins));
        Map<String, String> versions = new java.util.HashMap<>();
        for (Object row : rows) {
            Map<String, Object> plugin = (Map<String, Object>) row;
            versions.put((String) plugin.get("component"), (String) plugin.get("version"));
        }
        assertEquals(versions.toString(), built + ".0", versions.get("opensearch-knn"));
        assertTrue(versions.toString(), versions.containsKey("instruct-embed"));
    }

    @SuppressWarnings("unchecked")
    public void testEmbedIngestAndSearch() throws Exception {
        // _embed reproduces the reference vector of a query with the retrieval instruction
        Golden query = GoldenVectors.queries().get(0);
        Request embed = new Request("POST", "/_plugins/_instruct_embed/_embed");
        embed.setJsonEntity(
            "{\"model_id\":\"" + MODEL + "\",\"input_type\":\"query\",\"task\":\"retrieval\",\"texts\":[" + Json.quote(query.text()) + "]}"
        );
        Map<String, Object> embedded = entityAsMap(client().performRequest(embed));
        List<Map<String, Object>> embeddings = (List<Map<String, Object>>) embedded.get("embeddings");
        assertTrue(GoldenVectors.cosine(query.vector(), NodeCalls.floats(embeddings.get(0).get("vector"))) >= 0.9999);

        // a bulk through the index's default pipeline stores the reference document vectors
        put("/_ingest/pipeline/smoke-embed",
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"text\":\"text_vector\"}}}]}");
        put("/" + INDEX,
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":1,\"number_of_replicas\":0,\"index.default_pipeline\":\"smoke-embed\"},"
                + "\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},\"text_vector\":{\"type\":\"knn_vector\",\"dimension\":384,"
                + "\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}");
        List<Golden> documents = GoldenVectors.documents();
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < documents.size(); i++) {
            bulk.append("{\"index\":{\"_id\":\"").append(i).append("\"}}\n");
            bulk.append("{\"text\":").append(Json.quote(documents.get(i).text())).append("}\n");
        }
        Request request = new Request("POST", "/" + INDEX + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(bulk.toString());
        Map<String, Object> indexed = entityAsMap(client().performRequest(request));
        assertEquals(String.valueOf(indexed).substring(0, Math.min(1000, String.valueOf(indexed).length())), false, indexed.get("errors"));
        Map<String, Object> stored = entityAsMap(client().performRequest(new Request("GET", "/" + INDEX + "/_doc/0")));
        float[] vector = NodeCalls.floats(((Map<String, Object>) stored.get("_source")).get("text_vector"));
        assertTrue(GoldenVectors.cosine(documents.get(0).vector(), vector) >= 0.9999);

        // instruct_knn (model found from the index's pipeline) ranks a document's own text first
        Golden target = documents.get(3);
        Request search = new Request("POST", "/" + INDEX + "/_search");
        search.setJsonEntity(
            "{\"size\":3,\"_source\":false,\"query\":{\"instruct_knn\":{\"text_vector\":{\"query_text\":" + Json.quote(target.text())
                + ",\"k\":3}}}}"
        );
        Map<String, Object> hits = (Map<String, Object>) entityAsMap(client().performRequest(search)).get("hits");
        List<Map<String, Object>> found = (List<Map<String, Object>>) hits.get("hits");
        assertEquals(3, found.size());
        assertEquals("3", found.get(0).get("_id"));
    }

    private void put(String path, String json) throws IOException {
        Request request = new Request("PUT", path);
        request.setJsonEntity(json);
        Response response = client().performRequest(request);
        assertEquals(200, response.getStatusLine().getStatusCode());
    }
}
