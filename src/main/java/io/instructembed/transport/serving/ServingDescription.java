package io.instructembed.transport.serving;

import org.opensearch.cluster.node.DiscoveryNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code serving} object of a pack in GET models: which identity serves it and on which nodes,
 * and the nodes whose files differ (they serve nothing of it), as the coordinating node's view
 * has them. Plain maps and lists: it travels inside the pack descriptions as a generic value.
 */
public final class ServingDescription {
    private ServingDescription() {}

    public static Map<String, Object> of(ServingView view, String packId) {
        Map<String, Object> serving = new LinkedHashMap<>();
        serving.put("role_nodes_only", view.roleNodesOnly());
        String identity = view.servingIdentity(packId);
        serving.put("identity", identity);
        serving.put("nodes", identity == null ? List.of() : view.servers(packId, identity).stream().map(DiscoveryNode::getName).toList());
        Map<String, List<String>> others = new LinkedHashMap<>(view.identitiesByName(packId));
        others.remove(identity);
        if (others.isEmpty() == false) {
            // two sets of files under one id: reported, never mixed (only the identity above serves)
            serving.put("other_identities", others);
        }
        return serving;
    }
}
