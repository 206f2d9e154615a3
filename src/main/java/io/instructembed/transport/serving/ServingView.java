package io.instructembed.transport.serving;

import org.opensearch.OpenSearchStatusException;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.core.rest.RestStatus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which nodes serve which packs, as one cluster state says: made again whenever the nodes or
 * {@code instruct_embed.serving.require_role} change, and read by every call without locking.
 *
 * <p><b>Who serves.</b> The pool is the nodes with the {@link EmbeddingRole} when any node has it
 * or the setting is true; else every node with the plugin (a cluster that never heard of the role
 * works as before). Of the pool, a node serves a pack when it published the pack's identity
 * ({@link NodePacks}: all its files installed).
 *
 * <p><b>One identity.</b> Nodes with different files under one pack id embed differently, so a pack
 * is served by the nodes of one identity: the one most serving nodes have, a tie going to the
 * smaller identity string, so that every node picks the same one. During a rollout of new files
 * the old identity serves until more serving nodes have the new one. Nodes of another identity
 * serve nothing of that pack (GET models shows them).
 */
public final class ServingView {
    static final ServingView EMPTY = new ServingView(null, false, false, List.of(), Map.of());

    private final DiscoveryNode localNode;
    private final boolean requireRole;
    private final boolean roleNodesOnly;
    private final List<DiscoveryNode> pool;
    /** pack id, then identity, then the pool's nodes with it, in node id order */
    private final Map<String, Map<String, List<DiscoveryNode>>> servers;

    private ServingView(
        DiscoveryNode localNode,
        boolean requireRole,
        boolean roleNodesOnly,
        List<DiscoveryNode> pool,
        Map<String, Map<String, List<DiscoveryNode>>> servers
    ) {
        this.localNode = localNode;
        this.requireRole = requireRole;
        this.roleNodesOnly = roleNodesOnly;
        this.pool = pool;
        this.servers = servers;
    }

    public static ServingView of(DiscoveryNodes nodes, boolean requireRole) {
        List<DiscoveryNode> withPlugin = new ArrayList<>();
        List<DiscoveryNode> withRole = new ArrayList<>();
        for (DiscoveryNode node : nodes) {
            if (NodePacks.hasServingActions(node) == false) {
                continue;
            }
            withPlugin.add(node);
            if (hasRole(node)) {
                withRole.add(node);
            }
        }
        boolean roleNodesOnly = requireRole || withRole.isEmpty() == false;
        List<DiscoveryNode> pool = roleNodesOnly ? withRole : withPlugin;
        pool.sort((a, b) -> a.getId().compareTo(b.getId()));
        Map<String, Map<String, List<DiscoveryNode>>> servers = new TreeMap<>();
        for (DiscoveryNode node : pool) {
            NodePacks.identities(node).forEach(
                (pack, identity) -> servers.computeIfAbsent(pack, p -> new TreeMap<>()).computeIfAbsent(identity, i -> new ArrayList<>()).add(node)
            );
        }
        return new ServingView(nodes.getLocalNode(), requireRole, roleNodesOnly, List.copyOf(pool), servers);
    }

    public static boolean hasRole(DiscoveryNode node) {
        return node.getRoles().stream().anyMatch(role -> EmbeddingRole.NAME.equals(role.roleName()));
    }

    /** The setting as this view was made with it. */
    public boolean requireRole() {
        return requireRole;
    }

    /** Whether only nodes with the role serve (some node has it, or the setting says so). */
    public boolean roleNodesOnly() {
        return roleNodesOnly;
    }

    /** Whether the node may serve at all (it is in the pool). */
    public boolean inPool(DiscoveryNode node) {
        return pool.contains(node);
    }

    /** The identity that serves the pack, or null when no node serves it. */
    public String servingIdentity(String packId) {
        Map<String, List<DiscoveryNode>> byIdentity = servers.get(packId);
        if (byIdentity == null) {
            return null;
        }
        String chosen = null;
        int most = 0;
        for (Map.Entry<String, List<DiscoveryNode>> entry : byIdentity.entrySet()) {  // sorted: the first of a tie is the smaller
            if (entry.getValue().size() > most) {
                chosen = entry.getKey();
                most = entry.getValue().size();
            }
        }
        return chosen;
    }

    /** The pool's nodes that have the pack with this identity, in node id order. */
    public List<DiscoveryNode> servers(String packId, String identity) {
        Map<String, List<DiscoveryNode>> byIdentity = servers.get(packId);
        List<DiscoveryNode> nodes = byIdentity == null ? null : byIdentity.get(identity);
        return nodes == null ? List.of() : Collections.unmodifiableList(nodes);
    }

    /** Whether any node of the pool has the pack, of any identity. */
    public boolean anyServer(String packId) {
        return servers.containsKey(packId);
    }

    /** Each identity of the pack in the pool, with its nodes. */
    public Map<String, List<DiscoveryNode>> identities(String packId) {
        return servers.getOrDefault(packId, Map.of());
    }

    /** Whether this node serves the pack with that identity. */
    public boolean servesLocally(String packId, String identity) {
        return localNode != null && servers(packId, identity).contains(localNode);
    }

    /** Whether this node is a serving node of the pack: in the pool, with the identity that serves it. */
    public boolean servesLocally(String packId) {
        String identity = servingIdentity(packId);
        return identity != null && servesLocally(packId, identity);
    }

    /** Whether this node is in the pool. */
    public boolean localInPool() {
        return localNode != null && pool.contains(localNode);
    }

    /** The 503 of a pack that no node may serve: which role is missing, or which nodes lack the pack. */
    public OpenSearchStatusException noServingNode(String packId) {
        if (pool.isEmpty()) {
            return new OpenSearchStatusException(
                "no node with the role [{}] is in the cluster to run model [{}]{}: start a node with [{}] in its node.roles",
                RestStatus.SERVICE_UNAVAILABLE,
                EmbeddingRole.NAME,
                packId,
                requireRole ? " (instruct_embed.serving.require_role is true)" : "",
                EmbeddingRole.NAME
            );
        }
        return new OpenSearchStatusException(
            "no node with the role [{}] has the files of model [{}] installed; the nodes with the role are {}: install the pack there",
            RestStatus.SERVICE_UNAVAILABLE,
            EmbeddingRole.NAME,
            packId,
            pool.stream().map(DiscoveryNode::getName).toList()
        );
    }

    /** The 409 of a call that must be served by an identity that no serving node has. */
    public OpenSearchStatusException noServerOfIdentity(String packId, String identity) {
        return new OpenSearchStatusException(
            "no serving node has model [{}] with pack identity [{}]; the serving nodes have {}: the vectors written so far came from "
                + "other files than the serving nodes have now, so new ones would not match them (reindex into a new index to re-embed)",
            RestStatus.CONFLICT,
            packId,
            identity,
            identitiesByName(packId)
        );
    }

    /** Each identity of the pack with its nodes' names, for messages. */
    public Map<String, List<String>> identitiesByName(String packId) {
        Map<String, List<String>> named = new TreeMap<>();
        identities(packId).forEach((identity, nodes) -> named.put(identity, nodes.stream().map(DiscoveryNode::getName).toList()));
        return named;
    }
}
