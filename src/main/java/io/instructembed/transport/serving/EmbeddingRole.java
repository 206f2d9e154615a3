package io.instructembed.transport.serving;

import org.opensearch.cluster.node.DiscoveryNodeRole;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Settings;

/**
 * The node role {@code embedding}: nodes that load and run models for the whole cluster
 * ({@code node.roles: [data, ingest, embedding]}). A node has it only when its {@code node.roles}
 * names it (never by default), so adding a GPU node with the role never turns the existing nodes
 * into serving nodes, and a node without {@code node.roles} keeps today's roles. Which nodes serve
 * follows from the roles and {@code instruct_embed.serving.require_role} ({@link ServingView}).
 */
public final class EmbeddingRole {
    public static final String NAME = "embedding";

    public static final DiscoveryNodeRole ROLE = new DiscoveryNodeRole(NAME, "e") {
        @Override
        public Setting<Boolean> legacySetting() {
            return null;  // only node.roles names it: there is no node.embedding boolean
        }

        @Override
        public boolean isEnabledByDefault(Settings settings) {
            return false;
        }
    };

    private EmbeddingRole() {}
}
