package io.instructembed.cluster;

import io.instructembed.support.TestCluster;
import org.apache.hc.core5.http.HttpHost;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.client.Request;
import org.opensearch.client.RestClient;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The harness for clusters whose members tests start and stop one by one (support/TestCluster,
 * scripts/node.sh start-member), on three real nodes: each member with its own roles, a request
 * through a member that does not manage the cluster, a member stopped and started again as the
 * same node, and a member that holds other files under a pack id than the others.
 */
public class MembersServingClusterIT extends OpenSearchRestTestCase {
    private static final String MANAGER = "node.roles: [cluster_manager, data, ingest]";
    private static final String DATA = "node.roles: [data, ingest]";
    /** A pack whose stand-in weights come from src/test/resources/packs; node-3 gets a changed copy. */
    private static final String CHANGED_PACK = "sarashina-embedding-v2-1b";
    private static final Pattern AVAILABLE = Pattern.compile(
        "model pack \\[" + Pattern.quote(CHANGED_PACK) + "\\] available \\(.*identity ([A-Za-z0-9_-]+)\\)"
    );

    private static TestCluster cluster;

    @BeforeClass
    public static void startCluster() throws Exception {
        cluster = TestCluster.fromSystemProperties();
        cluster.prepare();
        cluster.start("node-1", MANAGER);
        cluster.start("node-2", DATA);
        cluster.start("node-3", DATA, changedCopyOfPack());
    }

    @AfterClass
    public static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.stopAll();
        }
    }

    /** The test pack with one byte more in its tokenizer file: the same tokens, another identity. */
    private static Path changedCopyOfPack() throws IOException {
        Path packs = cluster.dir().resolve("node-3-packs");
        Path from = Path.of(System.getProperty("tests.serving.packs")).resolve(CHANGED_PACK);
        Path to = packs.resolve(CHANGED_PACK);
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        Files.writeString(to.resolve("tokenizer.json"), "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return packs;
    }

    /** The base class's client reaches every member that {@link #startCluster} started. */
    @Override
    protected String getTestRestCluster() {
        return cluster.restCluster();
    }

    /** Nothing to wipe between tests, and the cluster is this class's own (stopped after it). */
    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }

    @SuppressWarnings("unchecked")
    public void testCatNodesListsEveryMemberWithItsRoles() throws IOException {
        Request cat = new Request("GET", "/_cat/nodes");
        cat.addParameter("format", "json");
        cat.addParameter("h", "name,node.roles,cluster_manager");
        Map<String, String> roles = new TreeMap<>();
        Map<String, String> manager = new TreeMap<>();
        for (Object row : entityAsList(client().performRequest(cat))) {
            Map<String, Object> node = (Map<String, Object>) row;
            roles.put((String) node.get("name"), (String) node.get("node.roles"));
            manager.put((String) node.get("name"), (String) node.get("cluster_manager"));
        }
        assertEquals(
            Map.of("node-1", "cluster_manager,data,ingest", "node-2", "data,ingest", "node-3", "data,ingest"),
            roles
        );
        assertEquals(Map.of("node-1", "*", "node-2", "-", "node-3", "-"), manager);
    }

    @SuppressWarnings("unchecked")
    public void testEmbedAnswersThroughAMemberThatDoesNotManage() throws IOException {
        try (RestClient node2 = clientOf("node-2")) {
            Request embed = new Request("POST", "/_plugins/_instruct_embed/_embed");
            embed.setJsonEntity("{\"model_id\":\"bge-small-en-v1.5\",\"input_type\":\"query\",\"texts\":[\"where do rivers start\"]}");
            List<Map<String, Object>> embeddings = (List<Map<String, Object>>) entityAsMap(node2.performRequest(embed)).get("embeddings");
            assertEquals(1, embeddings.size());
            assertEquals(384, ((List<Object>) embeddings.get(0).get("vector")).size());
        }
    }

    public void testStoppedMemberComesBackAsTheSameNode() throws Exception {
        try (RestClient node1 = clientOf("node-1")) {
            String id = nodeIdsByName(node1).get("node-3");
            assertNotNull(id);
            cluster.stop("node-3");
            assertEquals(List.of("node-1", "node-2"), List.copyOf(nodeIdsByName(node1, 2).keySet()));
            cluster.start("node-3", DATA);
            Map<String, String> ids = nodeIdsByName(node1, 3);
            assertEquals(List.of("node-1", "node-2", "node-3"), List.copyOf(ids.keySet()));
            assertEquals("node-3 keeps its data folder, so its node id", id, ids.get("node-3"));
        }
    }

    @SuppressWarnings("unchecked")
    public void testMemberPacksGiveOneMemberOtherFilesUnderAPackId() throws IOException {
        // GET models describes the packs of the node asked, without their identity; each node logs it
        String one = identityLogged("node-1");
        assertEquals(one, identityLogged("node-2"));
        assertNotEquals(one, identityLogged("node-3"));
        try (RestClient node3 = clientOf("node-3")) {
            Map<String, Object> pack = entityAsMap(node3.performRequest(new Request("GET", "/_plugins/_instruct_embed/models/" + CHANGED_PACK)));
            assertEquals("available", pack.get("state"));
            assertEquals(3, ((Map<String, Object>) pack.get("nodes")).size());
        }
    }

    private RestClient clientOf(String member) throws IOException {
        return buildClient(restClientSettings(), new HttpHost[] { cluster.host(member) });
    }

    private static String identityLogged(String member) throws IOException {
        String identity = null;
        for (String line : Files.readAllLines(cluster.log(member), StandardCharsets.UTF_8)) {
            Matcher matcher = AVAILABLE.matcher(line);
            if (matcher.find()) {
                identity = matcher.group(1);
            }
        }
        assertNotNull(member + " logged no identity of " + CHANGED_PACK + " in " + cluster.log(member), identity);
        return identity;
    }

    private static Map<String, String> nodeIdsByName(RestClient client) throws IOException {
        Request cat = new Request("GET", "/_cat/nodes");
        cat.addParameter("format", "json");
        cat.addParameter("h", "name,id");
        cat.addParameter("full_id", "true");
        Map<String, String> byName = new TreeMap<>();
        for (Object row : entityAsList(client.performRequest(cat))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> node = (Map<String, Object>) row;
            byName.put((String) node.get("name"), (String) node.get("id"));
        }
        return byName;
    }

    /** The members once the cluster manager counts {@code nodes} of them (it may take a moment to see one go). */
    private static Map<String, String> nodeIdsByName(RestClient client, int nodes) throws IOException {
        Request health = new Request("GET", "/_cluster/health");
        health.addParameter("wait_for_nodes", Integer.toString(nodes));
        health.addParameter("timeout", "30s");
        Map<String, Object> status = entityAsMap(client.performRequest(health));
        assertEquals(status.toString(), nodes, status.get("number_of_nodes"));
        return nodeIdsByName(client);
    }
}
