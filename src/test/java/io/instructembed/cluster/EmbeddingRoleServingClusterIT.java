package io.instructembed.cluster;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import io.instructembed.support.ClusterRestTestCase;
import io.instructembed.support.TestCluster;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;
import org.junit.BeforeClass;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Serving nodes on a real cluster: node-1 (cluster manager, data, ingest) and node-2 (data,
 * ingest) have no {@code embedding} role; node-3 has it, and node-4 (with the role) joins later
 * with other files under {@code bge-small-en-v1.5-int8}. In order: (1) with one serving node,
 * documents written through the nodes without the role, by a pipeline and by an instruct_text
 * field, hold node-3's vectors, and those nodes load nothing; instruct_knn, _embed and
 * v1/embeddings give the same answers through every node. (2) Two sets of files under one pack id
 * are reported and one serves every call. (3) With two serving nodes, one stops during two
 * minutes of four clients writing and searching through the nodes without the role, and comes
 * back: no accepted document is lost or doubled, each has its vector, searches fail at most with a
 * 429 or 503 while it goes, and it serves again once back. (4) With require_role true and no
 * serving node, calls fail at once with a 503 and nothing is indexed without vectors.
 */
public class EmbeddingRoleServingClusterIT extends ClusterRestTestCase {
    private static final String BGE = "bge-small-en-v1.5";
    private static final String INT8 = "bge-small-en-v1.5-int8";
    private static final String WITHOUT_ROLE_MANAGER = "node.roles: [cluster_manager, data, ingest]";
    private static final String WITHOUT_ROLE = "node.roles: [data, ingest]";
    private static final String SERVING = "node.roles: [data, ingest, embedding]";

    @BeforeClass
    public static void startCluster() throws Exception {
        cluster = TestCluster.fromSystemProperties();
        cluster.prepare();
        cluster.start("node-1", WITHOUT_ROLE_MANAGER);
        cluster.start("node-2", WITHOUT_ROLE);
        cluster.start("node-3", SERVING);
    }

    private Map<String, Map<String, Object>> byName(String path) throws IOException {
        return NodeCalls.nodesByName(NodeCalls.json(node("node-1"), "GET", path, null));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> modelStats(String nodeName, String model) throws IOException {
        return (Map<String, Object>) ((Map<String, Object>) byName("/_plugins/_instruct_embed/stats").get(nodeName).get("models")).get(model);
    }

    @SuppressWarnings("unchecked")
    private long served(String nodeName) throws IOException {
        Map<String, Object> node = byName("/_plugins/_instruct_embed/serving").get(nodeName);
        return ((Number) ((Map<String, Object>) node.get("served_for_other_nodes")).get("calls")).longValue();
    }

    public void testServingNodes() throws Exception {
        // Shards stay on node-1 and node-2: stopping a serving node must test the serving path, not
        // a primary going away (a bulk waits a minute for a missing primary, with or without us).
        NodeCalls.json(node("node-1"), "PUT", "/_cluster/settings",
            "{\"persistent\":{\"cluster.routing.allocation.exclude._name\":\"node-3,node-4\"}}");
        oneServingNodeEmbedsForTheOthers();
        twoSetsOfFilesUnderOnePackIdAreReportedAndNeverMixed();
        aServingNodeLeavesUnderLoadAndComesBack();
        withRequireRoleAndNoServingNodeCallsFailFast();
    }

    @SuppressWarnings("unchecked")
    private void oneServingNodeEmbedsForTheOthers() throws Exception {
        RestClient manager = node("node-1");
        NodeCalls.json(manager, "PUT", "/_ingest/pipeline/served", "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + BGE
            + "\",\"field_map\":{\"text\":\"vec\"}}}]}");
        NodeCalls.json(manager, "PUT", "/served-pipeline", "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0,"
            + "\"index.default_pipeline\":\"served\"},\"mappings\":{\"properties\":{\"vec\":{\"type\":\"knn_vector\",\"dimension\":384,"
            + "\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}");
        NodeCalls.json(manager, "PUT", "/served-field", "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0},"
            + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + BGE + "\"}}}}");

        List<GoldenVectors.Golden> golden = GoldenVectors.documents().subList(0, 12);
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < golden.size(); i++) {
            bulk.append("{\"index\":{\"_index\":\"served-pipeline\",\"_id\":\"").append(i).append("\"}}\n");
            bulk.append("{\"text\":").append(Json.quote(golden.get(i).text())).append("}\n");
            bulk.append("{\"index\":{\"_index\":\"served-field\",\"_id\":\"").append(i).append("\"}}\n");
            bulk.append("{\"body\":").append(Json.quote(golden.get(i).text())).append("}\n");
        }
        Request request = new Request("POST", "/_bulk?refresh=true");
        request.setJsonEntity(bulk.toString());
        Map<String, Object> written = entityAsMap(node("node-2").performRequest(request));
        assertEquals(written.toString(), false, written.get("errors"));

        RestClient serving = node("node-3");
        for (int i = 0; i < golden.size(); i++) {
            float[] expected = NodeCalls.embed(serving, BGE, golden.get(i).text(), "document");
            Map<String, Object> piped = (Map<String, Object>) NodeCalls.json(manager, "GET", "/served-pipeline/_doc/" + i, null).get("_source");
            assertTrue(GoldenVectors.cosine(NodeCalls.floats(piped.get("vec")), expected) >= 0.9999);
            Map<String, Object> field = (Map<String, Object>) NodeCalls.json(manager, "GET", "/served-field/_doc/" + i + "?_source_includes=body_instruct", null)
                .get("_source");
            for (Map<String, Object> chunk : (List<Map<String, Object>>) ((Map<String, Object>) field.get("body_instruct")).get("chunks")) {
                float[] chunkExpected = NodeCalls.embed(serving, BGE, (String) chunk.get("text"), "document");
                assertTrue(GoldenVectors.cosine(NodeCalls.floats(chunk.get("vector")), chunkExpected) >= 0.9999);
            }
        }

        // the same answers through every node
        String query = "{\"size\":5,\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":" + Json.quote(golden.get(5).text()) + ",\"k\":5}}}}";
        String embed = "{\"model_id\":\"" + BGE + "\",\"texts\":[\"the rivers of europe\"],\"input_type\":\"query\"}";
        String openAi = "{\"model\":\"" + BGE + "\",\"input\":[\"the rivers of europe\"]}";
        Object hits = null;
        Object vector = null;
        Object openAiVector = null;
        for (String name : List.of("node-1", "node-2", "node-3")) {
            List<Map<String, Object>> found = (List<Map<String, Object>>) ((Map<String, Object>) NodeCalls.json(node(name), "POST", "/served-field/_search", query)
                .get("hits")).get("hits");
            List<Object> idsAndScores = found.stream().map(h -> (Object) (h.get("_id") + ":" + h.get("_score"))).toList();
            Object embedded = ((List<Map<String, Object>>) NodeCalls.json(node(name), "POST", "/_plugins/_instruct_embed/_embed", embed).get("embeddings"))
                .get(0).get("vector");
            Object viaOpenAi = ((List<Map<String, Object>>) NodeCalls.json(node(name), "POST", "/_plugins/_instruct_embed/v1/embeddings", openAi).get("data"))
                .get(0).get("embedding");
            if (hits == null) {
                hits = idsAndScores;
                vector = embedded;
                openAiVector = viaOpenAi;
            } else {
                assertEquals("instruct_knn through " + name, hits, idsAndScores);
                assertEquals("_embed through " + name, vector, embedded);
                assertEquals("v1/embeddings through " + name, openAiVector, viaOpenAi);
            }
        }

        // the nodes without the role loaded nothing and ran nothing: node-3 did all of it
        for (String name : List.of("node-1", "node-2")) {
            Map<String, Object> stats = modelStats(name, BGE);
            assertEquals(name, "not_loaded", stats.get("state"));
            assertEquals(name, 0, ((Number) stats.get("texts")).intValue());
        }
        assertTrue(((Number) modelStats("node-3", BGE).get("texts")).intValue() >= 2 * golden.size());
        Map<String, Map<String, Object>> servingStats = byName("/_plugins/_instruct_embed/serving");
        assertTrue(((List<String>) servingStats.get("node-3").get("serves")).containsAll(List.of(BGE, INT8)));
        assertEquals(List.of(), servingStats.get("node-2").get("serves"));
        assertTrue(((Number) ((Map<String, Object>) servingStats.get("node-2").get("sent_to_other_nodes")).get("calls")).intValue() >= 1);
        assertTrue(served("node-3") >= 4);
    }

    /** node-4 joins with the role and a changed manifest of the int8 pack: two identities, one serves. */
    @SuppressWarnings("unchecked")
    private void twoSetsOfFilesUnderOnePackIdAreReportedAndNeverMixed() throws Exception {
        Path changed = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "changed-packs");
        Path pack = changed.resolve(INT8);
        copy(Path.of(System.getProperty("tests.serving.bundled_packs")).resolve(INT8), pack);
        Path manifest = pack.resolve("pack.json");
        String json = Files.readString(manifest);
        String edited = json.replaceFirst("\"Represent this sentence for searching relevant passages: ", "\"Represent this text for search: ");
        assertNotEquals("the manifest has the query prompt to change", json, edited);
        Files.writeString(manifest, edited);
        cluster.start("node-4", SERVING, changed);

        Map<String, Object> described = NodeCalls.json(node("node-1"), "GET", "/_plugins/_instruct_embed/models/" + INT8, null);
        Map<String, Object> serving = (Map<String, Object>) described.get("serving");
        String identity = (String) serving.get("identity");
        Map<String, List<String>> others = (Map<String, List<String>>) serving.get("other_identities");
        assertNotNull("two identities are reported: " + described, others);
        assertEquals(1, others.size());
        List<String> servingNodes = (List<String>) serving.get("nodes");
        assertEquals(1, servingNodes.size());
        String server = servingNodes.get(0);
        String other = server.equals("node-3") ? "node-4" : "node-3";
        assertEquals(List.of(other), others.values().iterator().next());
        assertNotEquals(identity, others.keySet().iterator().next());

        // every call through any node is served by the one identity: the same vector through each node (documents: no cache
        // answers them), and only its node counts texts
        for (int i = 0; i < 6; i++) {
            String embed = "{\"model_id\":\"" + INT8 + "\",\"texts\":[\"glaciers move slowly " + i + "\"],\"input_type\":\"document\"}";
            Object first = null;
            for (String through : List.of("node-1", "node-2", "node-3", "node-4")) {
                Object vector = ((List<Map<String, Object>>) NodeCalls.json(node(through), "POST", "/_plugins/_instruct_embed/_embed", embed)
                    .get("embeddings")).get(0).get("vector");
                if (first == null) {
                    first = vector;
                }
                assertEquals("text " + i + " through " + through, first, vector);
            }
        }
        Map<String, Object> otherStats = modelStats(other, INT8);
        assertEquals("node " + other + " with the other files ran nothing", 0, ((Number) otherStats.get("texts")).intValue());
        assertTrue(((Number) modelStats(server, INT8).get("texts")).intValue() >= 24);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    /** Four clients for two minutes through node-1 and node-2 while node-3 stops (after 30 s) and starts again (after 60 s). */
    @SuppressWarnings("unchecked")
    private void aServingNodeLeavesUnderLoadAndComesBack() throws Exception {
        RestClient manager = node("node-1");
        NodeCalls.json(manager, "PUT", "/failover", "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0,"
            + "\"index.default_pipeline\":\"served\"},\"mappings\":{\"properties\":{\"vec\":{\"type\":\"knn_vector\",\"dimension\":384,"
            + "\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}");
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<Integer> searchStatuses = new CopyOnWriteArrayList<>();
        AtomicInteger searchesOk = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> clientsRunning = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            final int clientNo = c;
            final String through = c % 2 == 0 ? "node-1" : "node-2";
            final RestClient client = node(through);
            Thread thread = new Thread(() -> {
                int round = 0;
                while (running.get()) {
                    try {
                        if (clientNo < 2) {
                            StringBuilder bulk = new StringBuilder();
                            List<String> ids = new ArrayList<>();
                            for (int d = 0; d < 8; d++) {
                                String id = clientNo + "-" + round + "-" + d;
                                ids.add(id);
                                bulk.append("{\"create\":{\"_index\":\"failover\",\"_id\":\"").append(id).append("\"}}\n");
                                bulk.append("{\"text\":\"document ").append(id).append(" about rivers and mountains\"}\n");
                            }
                            Request request = new Request("POST", "/_bulk");
                            request.setJsonEntity(bulk.toString());
                            Map<String, Object> response = entityAsMap(client.performRequest(request));
                            List<Map<String, Object>> items = (List<Map<String, Object>>) response.get("items");
                            for (int i = 0; i < items.size(); i++) {
                                Map<String, Object> item = (Map<String, Object>) items.get(i).get("create");
                                int status = ((Number) item.get("status")).intValue();
                                if (status == 201) {
                                    accepted.add(ids.get(i));
                                } else if (status != 429 && status != 503) {
                                    failures.add("bulk item " + ids.get(i) + ": " + item);
                                }
                            }
                        } else {
                            Request search = new Request("POST", "/failover/_search");
                            search.setJsonEntity("{\"size\":1,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"rivers " + clientNo + " "
                                + round + "\",\"k\":1}}}}");
                            Response response = client.performRequest(search);
                            searchStatuses.add(response.getStatusLine().getStatusCode());
                            searchesOk.incrementAndGet();
                        }
                    } catch (ResponseException e) {
                        int status = e.getResponse().getStatusLine().getStatusCode();
                        searchStatuses.add(status);
                        if (status != 429 && status != 503) {
                            failures.add(through + ": " + e.getMessage());
                        }
                    } catch (Exception e) {
                        failures.add(through + ": " + e);
                    }
                    round++;
                }
            });
            thread.start();
            clientsRunning.add(thread);
        }
        long start = System.nanoTime();
        sleepUntil(start, 30);
        stopMember("node-3");
        sleepUntil(start, 60);
        cluster.start("node-3", SERVING);
        long servedBefore = 0;  // node-3's counters start again with the node
        sleepUntil(start, 120);
        running.set(false);
        for (Thread thread : clientsRunning) {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
        Map<Integer, Integer> statuses = new TreeMap<>();
        searchStatuses.forEach(status -> statuses.merge(status, 1, Integer::sum));
        logger.info("failover: {} documents accepted, {} searches answered, statuses {}, serving stats {}", accepted.size(), searchesOk.get(),
            statuses, byName("/_plugins/_instruct_embed/serving"));
        assertTrue("only 429 and 503 may fail during the switch: " + failures, failures.isEmpty());
        assertTrue(accepted.size() > 50);
        assertTrue(searchesOk.get() > 20);

        // after the switch, searches succeed again
        for (String through : List.of("node-1", "node-2")) {
            Request search = new Request("POST", "/failover/_search");
            search.setJsonEntity("{\"size\":1,\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"mountains after the switch\",\"k\":1}}}}");
            assertEquals(200, node(through).performRequest(search).getStatusLine().getStatusCode());
        }
        NodeCalls.json(manager, "POST", "/failover/_refresh", null);
        // every accepted document once, each with its vector; nothing that was refused
        assertEquals(accepted.size(), ((Number) NodeCalls.json(manager, "GET", "/failover/_count", null).get("count")).intValue());
        assertEquals(accepted.size(), ((Number) NodeCalls.json(manager, "POST", "/failover/_count", "{\"query\":{\"exists\":{\"field\":\"vec\"}}}")
            .get("count")).intValue());
        Set<String> stored = new HashSet<>();
        Map<String, Object> all = NodeCalls.json(manager, "POST", "/failover/_search?size=10000", "{\"_source\":false,\"query\":{\"match_all\":{}}}");
        for (Map<String, Object> hit : (List<Map<String, Object>>) ((Map<String, Object>) all.get("hits")).get("hits")) {
            assertTrue("stored once: " + hit.get("_id"), stored.add((String) hit.get("_id")));
        }
        assertEquals(accepted, stored);

        // node-3 is back in the rotation: new calls reach it
        for (int i = 0; i < 20 && served("node-3") <= servedBefore; i++) {
            NodeCalls.embed(node(i % 2 == 0 ? "node-1" : "node-2"), BGE, "back in the rotation " + i, "document");
        }
        assertTrue("node-3 serves again after its restart", served("node-3") > servedBefore);
    }

    private static void sleepUntil(long startNanos, int seconds) throws InterruptedException {
        long left = startNanos + TimeUnit.SECONDS.toNanos(seconds) - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    @SuppressWarnings("unchecked")
    private void withRequireRoleAndNoServingNodeCallsFailFast() throws Exception {
        RestClient manager = node("node-1");
        NodeCalls.json(manager, "PUT", "/_cluster/settings", "{\"persistent\":{\"instruct_embed.serving.require_role\":true}}");
        for (String name : List.of("node-3", "node-4")) {
            stopMember(name);
        }
        long count = ((Number) NodeCalls.json(manager, "GET", "/served-pipeline/_count", null).get("count")).longValue();
        long started = System.nanoTime();
        ResponseException refused = expectThrows(
            ResponseException.class,
            () -> NodeCalls.embed(node("node-2"), BGE, "no serving node", "document")
        );
        assertTrue("fails fast", System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10));
        assertEquals(503, refused.getResponse().getStatusLine().getStatusCode());
        String message = refused.getMessage();
        assertTrue(message, message.contains("[embedding]") && message.contains("[" + BGE + "]"));

        Request bulk = new Request("POST", "/_bulk?refresh=true");
        bulk.setJsonEntity("{\"index\":{\"_index\":\"served-pipeline\",\"_id\":\"no-vector\"}}\n{\"text\":\"no serving node is up\"}\n");
        Map<String, Object> written = entityAsMap(node("node-1").performRequest(bulk));
        assertEquals(true, written.get("errors"));
        Map<String, Object> item = (Map<String, Object>) ((List<Map<String, Object>>) written.get("items")).get(0).get("index");
        assertEquals(503, ((Number) item.get("status")).intValue());
        assertEquals(count, ((Number) NodeCalls.json(manager, "GET", "/served-pipeline/_count", null).get("count")).longValue());
        for (String name : List.of("node-1", "node-2")) {
            assertEquals(name, "not_loaded", modelStats(name, BGE).get("state"));
        }
        NodeCalls.json(manager, "PUT", "/_cluster/settings", "{\"persistent\":{\"instruct_embed.serving.require_role\":null}}");
    }
}
