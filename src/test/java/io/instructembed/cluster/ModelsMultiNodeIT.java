package io.instructembed.cluster;

import org.apache.hc.core5.http.HttpHost;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.RestClient;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Two real nodes in one cluster (scripts/node.sh start-cluster): models load and unload on all
 * nodes or the ones named, stats and model states come from every node, and one node ingests while
 * the other answers instruct_knn queries.
 */
public class ModelsMultiNodeIT extends OpenSearchRestTestCase {

    @SuppressWarnings("unchecked")
    private Map<String, String> nodeIdsByName() throws IOException {
        Map<String, Object> nodes = (Map<String, Object>) entityAsMap(client().performRequest(new Request("GET", "/_nodes"))).get("nodes");
        Map<String, String> byName = new java.util.TreeMap<>();
        nodes.forEach((id, node) -> byName.put((String) ((Map<String, Object>) node).get("name"), id));
        return byName;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> statesOf(String model) throws IOException {
        Map<String, Object> body = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/models/" + model)));
        return (Map<String, Object>) body.get("nodes");
    }

    @SuppressWarnings("unchecked")
    private static String state(Map<String, Object> nodes, String nodeId) {
        return (String) ((Map<String, Object>) nodes.get(nodeId)).get("state");
    }

    @SuppressWarnings("unchecked")
    public void testLoadUnloadAndStatsAcrossNodes() throws Exception {
        Map<String, String> ids = nodeIdsByName();
        assertEquals(List.of("node-1", "node-2"), List.copyOf(ids.keySet()));
        String model = "bge-small-en-v1.5-int8";

        Map<String, Object> unloaded = entityAsMap(
            client().performRequest(new Request("POST", "/_plugins/_instruct_embed/models/" + model + "/_unload"))
        );
        assertEquals(2, ((Map<String, Object>) unloaded.get("_nodes")).get("successful"));
        Map<String, Object> states = statesOf(model);
        assertEquals(2, states.size());
        assertEquals("not_loaded", state(states, ids.get("node-1")));
        assertEquals("not_loaded", state(states, ids.get("node-2")));

        Request loadOnTwo = new Request("POST", "/_plugins/_instruct_embed/models/" + model + "/_load");
        loadOnTwo.addParameter("nodes", "node-2");
        Map<String, Object> loaded = entityAsMap(client().performRequest(loadOnTwo));
        assertEquals(1, ((Map<String, Object>) loaded.get("_nodes")).get("total"));
        states = statesOf(model);
        assertEquals("not_loaded", state(states, ids.get("node-1")));
        assertEquals("loaded", state(states, ids.get("node-2")));

        // loading everywhere is idempotent where it was loaded already
        client().performRequest(new Request("POST", "/_plugins/_instruct_embed/models/" + model + "/_load"));
        states = statesOf(model);
        assertEquals("loaded", state(states, ids.get("node-1")));
        assertEquals("loaded", state(states, ids.get("node-2")));

        Map<String, Object> all = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/stats")));
        assertEquals(2, ((Map<String, Object>) all.get("nodes")).size());
        Map<String, Object> one = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/node-2/stats")));
        Map<String, Object> oneNodes = (Map<String, Object>) one.get("nodes");
        assertEquals(List.of(ids.get("node-2")), List.copyOf(oneNodes.keySet()));
    }

    @SuppressWarnings("unchecked")
    public void testOneNodeIngestsWhileTheOtherAnswersQueries() throws Exception {
        List<HttpHost> hosts = getClusterHosts();
        assertEquals(2, hosts.size());
        try (
            RestClient first = buildClient(restClientSettings(), new HttpHost[] { hosts.get(0) });
            RestClient second = buildClient(restClientSettings(), new HttpHost[] { hosts.get(1) })
        ) {
            Request pipeline = new Request("PUT", "/_ingest/pipeline/multi");
            pipeline.setJsonEntity("{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"bge-small-en-v1.5\",\"field_map\":{\"text\":\"vec\"}}}]}");
            first.performRequest(pipeline);
            Request index = new Request("PUT", "/multi");
            index.setJsonEntity(
                "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":1,\"index.default_pipeline\":\"multi\"},"
                    + "\"mappings\":{\"properties\":{\"vec\":{\"type\":\"knn_vector\",\"dimension\":384,"
                    + "\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}"
            );
            first.performRequest(index);
            Request seed = new Request("PUT", "/multi/_doc/seed");
            seed.addParameter("refresh", "true");
            seed.setJsonEntity("{\"text\":\"a seed document about coffee\"}");
            first.performRequest(seed);

            AtomicReference<Exception> ingestFailure = new AtomicReference<>();
            Thread ingest = new Thread(() -> {
                try {
                    for (int b = 0; b < 5; b++) {
                        StringBuilder bulk = new StringBuilder();
                        for (int d = 0; d < 60; d++) {
                            bulk.append("{\"index\":{\"_id\":\"").append(b).append('-').append(d).append("\"}}\n");
                            bulk.append("{\"text\":\"document ").append(d).append(" of bulk ").append(b).append(" about rivers\"}\n");
                        }
                        Request request = new Request("POST", "/multi/_bulk");
                        request.setJsonEntity(bulk.toString());
                        Map<String, Object> response = entityAsMap(first.performRequest(request));
                        assertEquals(false, response.get("errors"));
                    }
                } catch (Exception e) {
                    ingestFailure.set(e);
                }
            });
            ingest.start();
            AtomicInteger answered = new AtomicInteger();
            List<String> failures = new ArrayList<>();
            while (ingest.isAlive() || answered.get() < 5) {
                Request search = new Request("POST", "/multi/_search");
                search.setJsonEntity(
                    "{\"size\":1,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"coffee " + answered.get() + "\",\"k\":1}}}}"
                );
                Response response = second.performRequest(search);
                if (response.getStatusLine().getStatusCode() == 200) {
                    answered.incrementAndGet();
                } else {
                    failures.add(response.getStatusLine().toString());
                }
            }
            ingest.join();
            assertNull(ingestFailure.get());
            assertTrue(failures.toString(), failures.isEmpty());
            assertTrue(answered.get() >= 5);
            first.performRequest(new Request("POST", "/multi/_refresh"));
            Map<String, Object> count = entityAsMap(second.performRequest(new Request("GET", "/multi/_count")));
            assertEquals(301, count.get("count"));

            // the embedding happened on the ingesting node, the query embedding on the other
            Map<String, String> ids = nodeIdsByName();
            Map<String, Object> stats = (Map<String, Object>) entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/stats"))).get("nodes");
            long totalTexts = 0;
            for (String name : ids.keySet()) {
                Map<String, Object> models = (Map<String, Object>) ((Map<String, Object>) stats.get(ids.get(name))).get("models");
                totalTexts += ((Number) ((Map<String, Object>) models.get("bge-small-en-v1.5")).get("texts")).longValue();
            }
            assertTrue(totalTexts >= 301);
        }
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
