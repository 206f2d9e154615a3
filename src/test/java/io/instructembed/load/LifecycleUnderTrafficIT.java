package io.instructembed.load;

import org.opensearch.client.Request;
import org.opensearch.client.RequestOptions;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.WarningsHandler;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Embeds (_embed and v1/embeddings), searches (instruct_knn) and bulk-indexes from several
 * clients while the model is unloaded and loaded again, over and over. Before each model had one
 * lifecycle state, calls that arrived during an unload's drain answered HTTP 500 with a
 * NullPointerException. Now: no 5xx, and every accepted document is indexed exactly once.
 */
public class LifecycleUnderTrafficIT extends OpenSearchRestTestCase {
    private static final String MODEL = "bge-small-en-v1.5-int8";
    private static final String INDEX = "lifecycle";
    private static final int CLIENTS = 4;
    private static final long TRAFFIC_MILLIS = 20_000;

    private static final RequestOptions PERMISSIVE = permissive();

    private static RequestOptions permissive() {
        RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
        options.setWarningsHandler(WarningsHandler.PERMISSIVE);
        return options.build();
    }

    private static Request json(String method, String path, String body) {
        Request request = new Request(method, path);
        request.setJsonEntity(body);
        request.setOptions(PERMISSIVE);
        return request;
    }

    /** The HTTP status of a call, with the body of any answer of 500 or more kept for the failure message. */
    private int status(Request request, Map<String, String> serverErrors) throws IOException {
        try {
            Response response = client().performRequest(request);
            return response.getStatusLine().getStatusCode();
        } catch (ResponseException e) {
            int status = e.getResponse().getStatusLine().getStatusCode();
            if (status >= 500) {
                serverErrors.put(request.getEndpoint() + " " + status, e.getMessage());
            }
            return status;
        }
    }

    @SuppressWarnings("unchecked")
    public void testTrafficWhileTheModelIsUnloadedAndLoadedAgainGetsNo5xxAndLosesNothing() throws Exception {
        client().performRequest(
            json("PUT", "/_ingest/pipeline/" + INDEX, "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"text\":\"vec\"}}}]}")
        );
        client().performRequest(
            json(
                "PUT",
                "/" + INDEX,
                "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"" + INDEX + "\"},\"mappings\":{\"properties\":{"
                    + "\"vec\":{\"type\":\"knn_vector\",\"dimension\":384,\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}"
            )
        );
        Map<String, String> serverErrors = new ConcurrentHashMap<>();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> work = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            work.add(clients.submit(() -> {
                for (int round = 0; running.get(); round++) {
                    String text = "client " + client + " round " + round + " about rivers and hills";
                    List<Request> calls = List.of(
                        json("POST", "/_plugins/_instruct_embed/_embed", "{\"model_id\":\"" + MODEL + "\",\"texts\":[\"" + text + "\"],\"input_type\":\"query\"}"),
                        json("POST", "/_plugins/_instruct_embed/v1/embeddings", "{\"model\":\"" + MODEL + "\",\"input\":[\"" + text + " (v1)\"]}"),
                        json("POST", "/" + INDEX + "/_search", "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"" + text + "?\",\"k\":3}}}}")
                    );
                    for (Request call : calls) {
                        statuses.merge(status(call, serverErrors), 1, Integer::sum);
                    }
                    StringBuilder bulk = new StringBuilder();
                    for (int d = 0; d < 10; d++) {
                        bulk.append("{\"index\":{\"_id\":\"").append(client).append('-').append(round).append('-').append(d).append("\"}}\n");
                        bulk.append("{\"text\":\"").append(text).append(" document ").append(d).append("\"}\n");
                    }
                    Response response = client().performRequest(json("POST", "/" + INDEX + "/_bulk", bulk.toString()));
                    for (Map<String, Object> item : (List<Map<String, Object>>) entityAsMap(response).get("items")) {
                        Map<String, Object> index = (Map<String, Object>) item.get("index");
                        int status = (Integer) index.get("status");
                        statuses.merge(status, 1, Integer::sum);
                        if (status == 201) {
                            assertTrue("accepted twice", accepted.add((String) index.get("_id")));
                        } else if (status >= 500) {
                            serverErrors.put("bulk item " + index.get("_id"), String.valueOf(index.get("error")));
                        }
                    }
                }
                return null;
            }));
        }
        int cycles = 0;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TRAFFIC_MILLIS);
        try {
            while (System.nanoTime() < end) {
                Thread.sleep(1000);
                client().performRequest(json("POST", "/_plugins/_instruct_embed/models/" + MODEL + "/_unload", ""));
                Thread.sleep(300);
                client().performRequest(json("POST", "/_plugins/_instruct_embed/models/" + MODEL + "/_load", ""));
                cycles++;
            }
        } finally {
            running.set(false);
            clients.shutdown();
        }
        for (Future<?> client : work) {
            client.get(5, TimeUnit.MINUTES);  // a hung request fails here
        }
        logger.info("lifecycle under traffic: {} unload/load cycles, statuses {}", cycles, statuses);
        assertEquals("no 5xx: " + serverErrors, Map.of(), serverErrors);
        assertTrue("some documents must get through: " + statuses, accepted.size() > 0);
        assertTrue(cycles >= 5);

        client().performRequest(json("POST", "/" + INDEX + "/_refresh", ""));
        Map<String, Object> count = entityAsMap(client().performRequest(json("GET", "/" + INDEX + "/_count", "")));
        assertEquals("every accepted document indexed exactly once", accepted.size(), count.get("count"));
        Map<String, Object> withVectors = entityAsMap(
            client().performRequest(json("GET", "/" + INDEX + "/_count", "{\"query\":{\"exists\":{\"field\":\"vec\"}}}"))
        );
        assertEquals("every indexed document has its vector", accepted.size(), withVectors.get("count"));

        Map<String, Object> stats = entityAsMap(client().performRequest(json("GET", "/_plugins/_instruct_embed/_local/stats", "")));
        Map<String, Object> node = (Map<String, Object>) ((Map<String, Object>) stats.get("nodes")).values().iterator().next();
        Map<String, Object> model = (Map<String, Object>) ((Map<String, Object>) node.get("models")).get(MODEL);
        assertEquals(model.toString(), 0, ((Number) model.get("errors")).intValue());
        assertTrue("stats kept counting across reloads: " + model, ((Number) model.get("texts")).longValue() >= accepted.size());
        Map<String, Object> breakers = entityAsMap(client().performRequest(json("GET", "/_nodes/_local/stats/breaker", "")));
        Map<String, Object> breakerNode = (Map<String, Object>) ((Map<String, Object>) breakers.get("nodes")).values().iterator().next();
        Map<String, Object> ours = (Map<String, Object>) ((Map<String, Object>) breakerNode.get("breakers")).get("instruct_embed");
        assertNotNull("the instruct_embed breaker is listed: " + breakerNode.get("breakers"), ours);
        assertTrue("a loaded model is accounted: " + ours, ((Number) ours.get("estimated_size_in_bytes")).longValue() > 0);
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
