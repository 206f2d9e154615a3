package io.instructembed.load;

import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Floods the node with concurrent bulks through the pipeline, more than the model's queue holds
 * (instruct_embed.queue.max_texts). Overflow must come back as 429 items, every accepted document
 * must be indexed exactly once, and the node must keep answering.
 */
public class OverloadIT extends OpenSearchRestTestCase {
    private static final int CLIENTS = 16;
    private static final int DOCS_PER_BULK = 400;

    private void put(String path, String json) throws IOException {
        Request request = new Request("PUT", path);
        request.setJsonEntity(json);
        client().performRequest(request);
    }

    @SuppressWarnings("unchecked")
    public void testFloodGives429sLosesNothingAndTheNodeKeepsAnswering() throws Exception {
        put("/_ingest/pipeline/flood", "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"bge-small-en-v1.5-int8\",\"field_map\":{\"text\":\"vec\"}}}]}");
        put(
            "/flood",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"flood\"},\"mappings\":{\"properties\":{"
                + "\"vec\":{\"type\":\"knn_vector\",\"dimension\":384,\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}"
        );
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        Map<String, Integer> statusById = new ConcurrentHashMap<>();
        try {
            List<Future<?>> bulks = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                bulks.add(clients.submit(() -> {
                    StringBuilder body = new StringBuilder();
                    for (int d = 0; d < DOCS_PER_BULK; d++) {
                        String id = client + "-" + d;
                        body.append("{\"index\":{\"_id\":\"").append(id).append("\"}}\n");
                        body.append("{\"text\":\"client ").append(client).append(" document ").append(d).append(" about rivers and hills\"}\n");
                    }
                    Request request = new Request("POST", "/flood/_bulk");
                    request.setJsonEntity(body.toString());
                    Map<String, Object> response = entityAsMap(client().performRequest(request));
                    for (Map<String, Object> item : (List<Map<String, Object>>) response.get("items")) {
                        Map<String, Object> index = (Map<String, Object>) item.get("index");
                        assertNull("item reported twice", statusById.put((String) index.get("_id"), (Integer) index.get("status")));
                    }
                    return null;
                }));
            }
            for (Future<?> bulk : bulks) {
                bulk.get(10, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdown();
        }
        assertEquals(CLIENTS * DOCS_PER_BULK, statusById.size());
        Set<Integer> statuses = new HashSet<>(statusById.values());
        long created = statusById.values().stream().filter(s -> s == 201).count();
        long rejected = statusById.values().stream().filter(s -> s == 429).count();
        logger.info("flood: {} created, {} rejected with 429, statuses {}", created, rejected, statuses);
        assertEquals("only 201 and 429, got " + statuses, created + rejected, statusById.size());
        assertTrue("the queue must overflow: " + statuses, rejected > 0);
        assertTrue("some documents must get through: " + statuses, created > 0);

        client().performRequest(new Request("POST", "/flood/_refresh"));
        Map<String, Object> count = entityAsMap(client().performRequest(new Request("GET", "/flood/_count")));
        assertEquals("every accepted document indexed exactly once", (int) created, count.get("count"));

        Response root = client().performRequest(new Request("GET", "/"));
        assertEquals(200, root.getStatusLine().getStatusCode());
        Map<String, Object> stats = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/_local/stats")));
        Map<String, Object> node = (Map<String, Object>) ((Map<String, Object>) stats.get("nodes")).values().iterator().next();
        Map<String, Object> model = (Map<String, Object>) ((Map<String, Object>) node.get("models")).get("bge-small-en-v1.5-int8");
        assertTrue(model.toString(), ((Number) model.get("rejections")).longValue() > 0);
        assertEquals(0, ((Number) model.get("queued_texts")).intValue());
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
