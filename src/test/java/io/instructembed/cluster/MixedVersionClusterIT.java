package io.instructembed.cluster;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import io.instructembed.support.ClusterRestTestCase;
import io.instructembed.support.TestCluster;
import org.opensearch.Version;
import org.opensearch.client.Request;
import org.opensearch.client.RestClient;
import org.junit.BeforeClass;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Serving across OpenSearch versions, as in a rolling upgrade: members of one cluster installed
 * from two builds, the older one's files given as system properties (tests.mixed.older.*, pom.xml,
 * the mixed-version execution) and the newer one this build's. node-1 (older, the only
 * cluster-manager-eligible node) bootstraps the cluster and stays up: OpenSearch lets a node join
 * only a cluster that has a node of its version or older, so an older first member lets members of
 * both versions join. (1) node-2 (newer, {@code embedding} only) serves node-1's calls; (2) node-2
 * leaves, node-3 (older, {@code embedding} only) serves the calls of node-4 (newer, data and
 * ingest). The shards stay on node-1, so that in (2) the writes and searches of the newer node
 * reach the older one's shards (with the shard's check of the pack identity). In each
 * direction, through the node without the role: {@code _embed} gives the serving node's vectors,
 * a bulk through a pipeline stores them, {@code instruct_knn} answers as a {@code knn} query with
 * the serving node's query vector does, and {@code GET serving} shows the serving node counted
 * the calls while the other loaded nothing. Every node has require_role, so that none but the
 * serving node ever loads the model (also while the first one starts alone).
 */
public class MixedVersionClusterIT extends ClusterRestTestCase {
    private static final String BGE = "bge-small-en-v1.5";
    private static final String OLDER = "older";
    private static final String REQUIRE_ROLE = "\ninstruct_embed.serving.require_role: true";
    private static final String MANAGER = "node.roles: [cluster_manager, data, ingest]" + REQUIRE_ROLE;
    private static final String WITHOUT_ROLE = "node.roles: [data, ingest]" + REQUIRE_ROLE;
    private static final String SERVING = "node.roles: [embedding]" + REQUIRE_ROLE;

    @BeforeClass
    public static void startCluster() throws Exception {
        cluster = TestCluster.fromSystemProperties();
        cluster.prepare();
        cluster.addTemplate(OLDER, path("tests.mixed.older.dist"), path("tests.mixed.older.knn"), path("tests.mixed.older.plugin"));
        cluster.start("node-1", MANAGER, OLDER);
        cluster.start("node-2", SERVING);
    }

    private static Path path(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("no system property [" + property + "]: run this test through the mixed-version execution of pom.xml");
        }
        return Path.of(value);
    }

    public void testNodesOfTwoVersionsServeEachOther() throws Exception {
        Version older = version("node-1");
        Version newer = version("node-2");
        assertTrue("the older files are an older OpenSearch: " + older + " and " + newer, older.before(newer));
        // both versions' zips bundle the same pack files: one identity, which serves on either version
        Map<String, String> identities = publishedIdentities();
        assertEquals(identities.toString(), 2, identities.size());
        assertEquals(identities.toString(), identities.get("node-1"), identities.get("node-2"));

        routesAcross("node-1", "node-2", "older-to-newer");

        stopMember("node-2");
        cluster.start("node-3", SERVING, OLDER);
        cluster.start("node-4", WITHOUT_ROLE);
        assertEquals(older, version("node-3"));
        assertEquals(newer, version("node-4"));

        routesAcross("node-4", "node-3", "newer-to-older");
    }

    /** The identity of the bge pack that each node publishes in its node attributes (instruct_embed.packs), by node name. */
    @SuppressWarnings("unchecked")
    private Map<String, String> publishedIdentities() throws IOException {
        Map<String, Object> nodes = (Map<String, Object>) NodeCalls.json(node("node-1"), "GET", "/_nodes", null).get("nodes");
        Map<String, String> identities = new TreeMap<>();
        for (Object entry : nodes.values()) {
            Map<String, Object> node = (Map<String, Object>) entry;
            String packs = (String) ((Map<String, Object>) node.get("attributes")).get("instruct_embed.packs");
            for (String pack : packs.split(",")) {
                if (pack.startsWith(BGE + "=")) {
                    identities.put((String) node.get("name"), pack.substring(BGE.length() + 1));
                }
            }
        }
        return identities;
    }

    @SuppressWarnings("unchecked")
    private Version version(String name) throws IOException {
        Map<String, Object> root = NodeCalls.json(node(name), "GET", "/", null);
        return Version.fromString((String) ((Map<String, Object>) root.get("version")).get("number"));
    }

    /** Everything that embeds, through {@code through} (no role), runs on {@code serving} (of the other version). */
    @SuppressWarnings("unchecked")
    private void routesAcross(String through, String serving, String index) throws Exception {
        RestClient via = node(through);
        RestClient server = node(serving);
        long servedBefore = counter(through, serving, "served_for_other_nodes");
        long sentBefore = counter(through, through, "sent_to_other_nodes");
        List<GoldenVectors.Golden> golden = GoldenVectors.documents().subList(0, 6);

        // _embed: the vectors of the serving node, for documents and queries
        String document = golden.get(0).text();
        assertCosine("_embed document through " + through, NodeCalls.embed(server, BGE, document, "document"), NodeCalls.embed(via, BGE, document, "document"));
        String question = "how do plants turn light into energy? (" + index + ")";
        float[] queryVector = NodeCalls.embed(server, BGE, question, "query");
        assertCosine("_embed query through " + through, queryVector, NodeCalls.embed(via, BGE, question, "query"));

        // a bulk through a pipeline stores the serving node's vectors
        NodeCalls.json(via, "PUT", "/_ingest/pipeline/" + index, "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + BGE
            + "\",\"field_map\":{\"text\":\"vec\"}}}]}");
        NodeCalls.json(via, "PUT", "/" + index, "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0,"
            + "\"index.default_pipeline\":\"" + index + "\",\"index.routing.allocation.require._name\":\"node-1\"},"
            + "\"mappings\":{\"properties\":{\"vec\":{\"type\":\"knn_vector\",\"dimension\":384,"
            + "\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}");
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < golden.size(); i++) {
            bulk.append("{\"index\":{\"_id\":\"").append(i).append("\"}}\n{\"text\":").append(Json.quote(golden.get(i).text())).append("}\n");
        }
        Request request = new Request("POST", "/" + index + "/_bulk?refresh=true");
        request.setJsonEntity(bulk.toString());
        Map<String, Object> written = entityAsMap(via.performRequest(request));
        assertEquals(written.toString(), false, written.get("errors"));
        for (int i = 0; i < golden.size(); i++) {
            Map<String, Object> source = (Map<String, Object>) NodeCalls.json(via, "GET", "/" + index + "/_doc/" + i, null).get("_source");
            assertCosine("stored vector " + i + " of " + index, NodeCalls.embed(server, BGE, golden.get(i).text(), "document"), NodeCalls.floats(source.get("vec")));
        }

        // instruct_knn through the node without the role ranks as knn does with the serving node's query vector (another
        // question than above: that one is in the query cache of the node without the role, and never leaves it again)
        String searched = "what makes volcanoes erupt? (" + index + ")";
        List<String> byText = hits(via, index, "{\"instruct_knn\":{\"vec\":{\"query_text\":" + Json.quote(searched) + ",\"task\":\"retrieval\",\"k\":3}}}");
        StringBuilder vector = new StringBuilder();
        for (float value : NodeCalls.embed(server, BGE, searched, "query")) {
            vector.append(vector.length() == 0 ? "" : ",").append(value);
        }
        List<String> byVector = hits(server, index, "{\"knn\":{\"vec\":{\"vector\":[" + vector + "],\"k\":3}}}");
        assertEquals(3, byText.size());
        assertEquals("instruct_knn through " + through + " and knn with " + serving + "'s vector", byVector, byText);

        // the serving node ran it all, for the other: two _embed calls, the bulk and the search's query at least
        assertTrue(serving + " counted the calls", counter(through, serving, "served_for_other_nodes") >= servedBefore + 4);
        assertTrue(through + " sent them", counter(through, through, "sent_to_other_nodes") >= sentBefore + 4);
        Map<String, Object> local = NodeCalls.modelStats(via, BGE);
        assertEquals(through + " loads nothing", "not_loaded", local.get("state"));
        assertEquals(through + " embeds nothing", 0, ((Number) local.get("texts")).intValue());
    }

    /** Hit ids with their scores, best first. */
    @SuppressWarnings("unchecked")
    private static List<String> hits(RestClient client, String index, String query) throws IOException {
        Map<String, Object> found = NodeCalls.json(client, "POST", "/" + index + "/_search", "{\"size\":3,\"_source\":false,\"query\":" + query + "}");
        List<Map<String, Object>> hits = (List<Map<String, Object>>) ((Map<String, Object>) found.get("hits")).get("hits");
        return hits.stream().map(hit -> hit.get("_id") + ":" + hit.get("_score")).toList();
    }

    /** The {@code calls} of one side of {@code GET serving} for node {@code name}, asked through {@code through} (a cross-version fan-out). */
    @SuppressWarnings("unchecked")
    private long counter(String through, String name, String side) throws IOException {
        Map<String, Map<String, Object>> nodes = NodeCalls.nodesByName(NodeCalls.json(node(through), "GET", "/_plugins/_instruct_embed/serving", null));
        Map<String, Object> node = nodes.get(name);
        if (node == null) {
            throw new AssertionError("no node [" + name + "] in GET serving: " + nodes);
        }
        return ((Number) ((Map<String, Object>) node.get(side)).get("calls")).longValue();
    }

    private static void assertCosine(String what, float[] expected, float[] actual) {
        double cosine = GoldenVectors.cosine(expected, actual);
        assertTrue(what + ": cosine " + cosine, cosine >= 0.9999);
    }
}
