package io.instructembed.transport.serving;

import io.instructembed.model.DocumentCall;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService.EmbedCall;
import io.instructembed.model.LoadState;
import io.instructembed.pack.InputType;
import io.instructembed.support.TestModelServices;
import org.opensearch.ExceptionsHelper;
import org.opensearch.Version;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.cluster.ClusterChangedEvent;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodeRole;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.telemetry.tracing.noop.NoopTracer;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.test.transport.MockTransportService;
import org.opensearch.threadpool.TestThreadPool;
import org.opensearch.threadpool.ThreadPool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The router on a node without the role (A), over real transport services on loopback and real
 * model services with the bundled bge-small-en-v1.5 on the serving nodes (B, and C where a test
 * needs two): calls run on a serving node and give its vectors, A never loads a model, a repeated
 * query never leaves A, a call whose node left goes to the other, and without a serving node the
 * call fails at once with a 503 naming the model and the role.
 */
public class RoutingEmbeddingServiceTests extends OpenSearchTestCase {
    private static final String BGE = "bge-small-en-v1.5";

    private ThreadPool threadPool;
    private final List<MockTransportService> transports = new ArrayList<>();
    private final List<TestModelServices> services = new ArrayList<>();
    private final Map<String, ServingCounters> served = new HashMap<>();
    private TestModelServices modelsA;
    private MockTransportService nodeA;
    private RoutingEmbeddingService router;

    @Override
    public void setUp() throws Exception {
        super.setUp();
        threadPool = new TestThreadPool(getTestName());
        nodeA = transport();
        modelsA = TestModelServices.bundled();
        services.add(modelsA);
        router = new RoutingEmbeddingService(modelsA.service, new ServingCounters(), false, List.of(), ids -> fail("nothing preloads here"),
            id -> fail("nothing is loaded here to unload"));
        router.connect(new ServingNodeClient(nodeA));
    }

    @Override
    public void tearDown() throws Exception {
        for (MockTransportService transport : transports) {
            transport.close();
        }
        for (TestModelServices service : services) {
            service.close();
        }
        ThreadPool.terminate(threadPool, 10, TimeUnit.SECONDS);
        super.tearDown();
    }

    private MockTransportService transport() {
        MockTransportService transport = MockTransportService.createNewService(Settings.EMPTY, Version.CURRENT, threadPool, NoopTracer.INSTANCE);
        transport.start();
        transport.acceptIncomingRequests();
        transports.add(transport);
        return transport;
    }

    /** A node with the role that runs the serving actions on its own model service; as the cluster state shows it. */
    private DiscoveryNode servingNode(String name, String publishedIdentity) {
        MockTransportService transport = transport();
        TestModelServices models = TestModelServices.bundled();
        services.add(models);
        ServingCounters counters = new ServingCounters();
        ActionFilters noFilters = new ActionFilters(Set.of());
        new TransportEmbedDocumentsOnNodeAction(transport, noFilters, models.service, counters);
        new TransportEmbedTextsOnNodeAction(transport, noFilters, models.service, counters);
        String identity = publishedIdentity != null ? publishedIdentity : models.packs.get(BGE).orElseThrow().identity();
        DiscoveryNode node = published(transport.getLocalNode(), name, identity, Set.of(DiscoveryNodeRole.DATA_ROLE, EmbeddingRole.ROLE));
        served.put(name, counters);
        nodeA.connectToNode(node);
        return node;
    }

    private static DiscoveryNode published(DiscoveryNode local, String name, String identity, Set<DiscoveryNodeRole> roles) {
        Map<String, String> attributes = new HashMap<>();
        attributes.put(NodePacks.SERVING_ATTRIBUTE, NodePacks.SERVING_WIRE);
        attributes.put(NodePacks.PACKS_ATTRIBUTE, identity == null ? "" : BGE + "=" + identity);
        return new DiscoveryNode(name, local.getId(), local.getEphemeralId(), local.getHostName(), local.getHostAddress(), local.getAddress(),
            attributes, roles, Version.CURRENT);
    }

    /** A joins a cluster of itself (data only, with the pack installed) and the given nodes. */
    private void clusterOf(DiscoveryNode... others) {
        DiscoveryNode a = published(nodeA.getLocalNode(), "a", modelsA.packs.get(BGE).orElseThrow().identity(), Set.of(DiscoveryNodeRole.DATA_ROLE));
        DiscoveryNodes.Builder nodes = DiscoveryNodes.builder().add(a).localNodeId(a.getId()).clusterManagerNodeId(a.getId());
        for (DiscoveryNode other : others) {
            nodes.add(other);
        }
        ClusterState state = ClusterState.builder(new ClusterName("test")).nodes(nodes).build();
        router.clusterChanged(new ClusterChangedEvent("test", state, ClusterState.builder(new ClusterName("test")).build()));
    }

    private List<Embedding> embed(EmbedCall call) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        router.embed(call, future);
        return future.actionGet(120, TimeUnit.SECONDS);
    }

    private void assertNotLoadedOnA() {
        assertEquals(LoadState.NOT_LOADED, modelsA.service.status(BGE).state());
    }

    public void testCallsRunOnTheServingNodeWithItsVectorsAndNeverLoadHere() throws Exception {
        DiscoveryNode b = servingNode("b", null);
        clusterOf(b);
        assertTrue(router.view().roleNodesOnly());
        assertFalse(router.view().servesLocally(BGE));

        EmbedCall documents = new EmbedCall(BGE, List.of("rivers of europe", "mountains of asia"), InputType.DOCUMENT, null, null);
        List<Embedding> routed = embed(documents);
        PlainActionFuture<List<Embedding>> onB = new PlainActionFuture<>();
        services.get(1).service.embed(documents, onB);
        List<Embedding> local = onB.actionGet(120, TimeUnit.SECONDS);
        for (int i = 0; i < local.size(); i++) {
            assertArrayEquals(local.get(i).vector(), routed.get(i).vector(), 0f);
        }

        DocumentCall call = new DocumentCall(BGE, null, null, Integer.MAX_VALUE, true,
            List.of(new DocumentCall.Document(List.of(new DocumentCall.Field("text", false, List.of("rivers of europe"))))));
        PlainActionFuture<List<DocumentResult>> results = new PlainActionFuture<>();
        router.embedDocuments(call, results);
        assertArrayEquals(local.get(0).vector(), results.actionGet(120, TimeUnit.SECONDS).get(0).texts().get(0).get(0).embedding().vector(), 0f);

        assertEquals(2, served.get("b").snapshot().servedCalls());
        assertEquals(3, served.get("b").snapshot().servedTexts());
        assertEquals(2, router.counters().snapshot().sentCalls());
        assertNotLoadedOnA();
        // A's pack as its features see it: its manifest, with the identity of B's files
        assertEquals(services.get(1).packs.get(BGE).orElseThrow().identity(), router.usablePack(BGE).identity());
    }

    public void testARepeatedQueryNeverLeavesTheCoordinatingNode() {
        modelsA.service.queryCache().setMaxBytes(1 << 20);
        clusterOf(servingNode("b", null));
        EmbedCall query = new EmbedCall(BGE, List.of("what carries water to the sea?"), InputType.QUERY, null, null);
        assertNull(router.cachedQuery(BGE, "what carries water to the sea?", null, null));
        float[] first = embed(query).get(0).vector();
        assertNotNull(router.cachedQuery(BGE, "what carries water to the sea?", null, null));
        float[] second = embed(query).get(0).vector();
        assertArrayEquals(first, second, 0f);
        assertEquals(1, served.get("b").snapshot().servedCalls());
        assertNotLoadedOnA();
    }

    public void testACallWhoseNodeLeftGoesToTheOtherServingNode() throws Exception {
        DiscoveryNode b = servingNode("b", null);
        DiscoveryNode c = servingNode("c", null);
        clusterOf(b, c);
        transports.get(2).close();  // c goes away, as the cluster state still lists it
        for (int i = 0; i < 6; i++) {
            assertEquals(1, embed(new EmbedCall(BGE, List.of("text " + i), InputType.DOCUMENT, null, null)).size());
        }
        assertEquals(6, served.get("b").snapshot().servedCalls());
        assertEquals(0, served.get("c").snapshot().servedCalls());
        assertTrue("some call was tried on c first", router.counters().snapshot().retried() >= 1);
        assertNotLoadedOnA();
    }

    public void testWithoutAServingNodeACallFailsAtOnceWith503() {
        router.setRequireRole(true);
        clusterOf();
        Exception e = expectThrows(Exception.class, () -> embed(new EmbedCall(BGE, List.of("text"), InputType.DOCUMENT, null, null)));
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, ExceptionsHelper.status(e));
        assertTrue(e.getMessage(), e.getMessage().contains("[embedding]") && e.getMessage().contains("[" + BGE + "]"));
        assertTrue(e.getMessage(), e.getMessage().contains("require_role"));
        assertNotLoadedOnA();
    }

    public void testOnlyOneIdentityServesAPackAndNoCallMixesThem() {
        String other = "zzzzzzzzzzzzzzzzzzzzzz";  // sorts after any real identity: the tie goes to b's files
        DiscoveryNode b = servingNode("b", null);
        DiscoveryNode c = servingNode("c", other);
        clusterOf(b, c);
        String real = services.get(1).packs.get(BGE).orElseThrow().identity();
        assertEquals(real, router.view().servingIdentity(BGE));
        assertEquals(Map.of(real, List.of("b"), other, List.of("c")), router.view().identitiesByName(BGE));
        for (int i = 0; i < 4; i++) {
            embed(new EmbedCall(BGE, List.of("text " + i), InputType.DOCUMENT, null, null));
        }
        assertEquals(4, served.get("b").snapshot().servedCalls());
        assertEquals(0, served.get("c").snapshot().servedCalls());

        // a call for c's identity goes to c, whose files are not what it published: refused there, never run on others
        Exception e = expectThrows(Exception.class, () -> embed(new EmbedCall(BGE, List.of("text"), InputType.DOCUMENT, null, null, other)));
        assertEquals(RestStatus.CONFLICT, ExceptionsHelper.status(e));
        assertEquals(1, served.get("c").snapshot().servedCalls());
        // an identity that no serving node has: a 409 naming the identities there are
        Exception none = expectThrows(Exception.class,
            () -> embed(new EmbedCall(BGE, List.of("text"), InputType.DOCUMENT, null, null, "nosuchidentityxxxxxxxxx")));
        assertEquals(RestStatus.CONFLICT, ExceptionsHelper.status(none));
        assertTrue(none.getMessage(), none.getMessage().contains(real));
    }
}
