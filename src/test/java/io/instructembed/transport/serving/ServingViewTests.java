package io.instructembed.transport.serving;

import org.opensearch.Version;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodeRole;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.test.OpenSearchTestCase;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Who serves what, from node roles, published packs and the setting. */
public class ServingViewTests extends OpenSearchTestCase {
    private static final String BGE = "bge-small-en-v1.5";
    private int port = 9300;

    private DiscoveryNode node(String name, boolean role, String packs) {
        Map<String, String> attributes = new HashMap<>();
        if (packs != null) {
            attributes.put(NodePacks.SERVING_ATTRIBUTE, NodePacks.SERVING_WIRE);
            attributes.put(NodePacks.PACKS_ATTRIBUTE, packs);
        }
        Set<DiscoveryNodeRole> roles = new HashSet<>(Set.of(DiscoveryNodeRole.DATA_ROLE));
        if (role) {
            roles.add(EmbeddingRole.ROLE);
        }
        return new DiscoveryNode(name, name, new TransportAddress(InetAddress.getLoopbackAddress(), port++), attributes, roles, Version.CURRENT);
    }

    private static ServingView view(boolean requireRole, DiscoveryNode local, DiscoveryNode... others) {
        DiscoveryNodes.Builder nodes = DiscoveryNodes.builder().add(local).localNodeId(local.getId());
        for (DiscoveryNode other : others) {
            nodes.add(other);
        }
        return ServingView.of(nodes.build(), requireRole);
    }

    public void testWithoutRoleNodesEveryNodeWithTheFilesServes() {
        DiscoveryNode a = node("a", false, BGE + "=X");
        DiscoveryNode b = node("b", false, BGE + "=X");
        DiscoveryNode noWeights = node("c", false, "");
        DiscoveryNode noPlugin = node("d", false, null);
        ServingView view = view(false, a, b, noWeights, noPlugin);
        assertFalse(view.roleNodesOnly());
        assertTrue(view.servesLocally(BGE));
        assertEquals(List.of(a, b), view.servers(BGE, "X"));
        assertTrue(view.inPool(noWeights));
        assertFalse("a node without the plugin's actions is never sent calls", view.inPool(noPlugin));
    }

    public void testOnceANodeHasTheRoleOnlyRoleNodesServe() {
        DiscoveryNode a = node("a", false, BGE + "=X");
        DiscoveryNode gpu = node("gpu", true, BGE + "=X");
        ServingView view = view(false, a, gpu);
        assertTrue(view.roleNodesOnly());
        assertFalse(view.servesLocally(BGE));
        assertFalse(view.localInPool());
        assertEquals(List.of(gpu), view.servers(BGE, "X"));
    }

    public void testRequireRoleWithoutRoleNodesServesNothingAndSaysWhy() {
        DiscoveryNode a = node("a", false, BGE + "=X");
        ServingView view = view(true, a, node("b", false, BGE + "=X"));
        assertTrue(view.roleNodesOnly());
        assertFalse(view.anyServer(BGE));
        assertNull(view.servingIdentity(BGE));
        var e = view.noServingNode(BGE);
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, e.status());
        assertTrue(e.getMessage(), e.getMessage().contains("[embedding]") && e.getMessage().contains("[" + BGE + "]")
            && e.getMessage().contains("require_role is true"));
    }

    public void testRoleNodesWithoutThePackAreNamed() {
        DiscoveryNode a = node("a", false, BGE + "=X");
        ServingView view = view(false, a, node("gpu", true, "other=Y"));
        assertFalse(view.anyServer(BGE));
        assertTrue(view.noServingNode(BGE).getMessage(), view.noServingNode(BGE).getMessage().contains("[gpu]"));
    }

    public void testTheIdentityOfMostServingNodesServesATieGoesToTheSmaller() {
        DiscoveryNode a = node("a", false, "");
        DiscoveryNode one = node("one", true, BGE + "=B,other=Q");
        DiscoveryNode two = node("two", true, BGE + "=A");
        assertEquals("A", view(false, a, one, two).servingIdentity(BGE));
        DiscoveryNode three = node("three", true, BGE + "=B");
        ServingView view = view(false, a, one, two, three);
        assertEquals("B", view.servingIdentity(BGE));
        assertEquals(Map.of("A", List.of("two"), "B", List.of("one", "three")), view.identitiesByName(BGE));
        assertEquals(List.of(), view.servers(BGE, "C"));
        assertEquals(RestStatus.CONFLICT, view.noServerOfIdentity(BGE, "C").status());
        assertEquals("Q", view.servingIdentity("other"));
    }

    public void testPublishedPacksReadBack() {
        assertEquals(Map.of(BGE, "X", "e5-small-v2", "Y"), NodePacks.identities(node("a", true, BGE + "=X,e5-small-v2=Y")));
        assertEquals(Map.of(), NodePacks.identities(node("b", true, "")));
        assertEquals(Map.of(), NodePacks.identities(node("c", true, null)));
    }
}
