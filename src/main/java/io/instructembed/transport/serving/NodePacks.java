package io.instructembed.transport.serving;

import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.common.settings.Settings;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a node publishes of its packs in the cluster state, as two node attributes that every node
 * (a coordinating node, a dedicated cluster manager, a node without weights) reads without asking:
 * {@code instruct_embed.serving} (this node has the serving actions, at this wire version) and
 * {@code instruct_embed.packs} ({@code id=identity,...} of every pack whose files are all
 * installed, see {@link io.instructembed.pack.PackIdentity}). Attributes are fixed for the life of
 * a node, as pack files are: packs are scanned once at start, so a node with new files is a node
 * restarted with a new attribute. One attribute for all packs, since pack ids hold dots, which
 * as separate {@code node.attr.*} keys would nest into one another.
 */
public final class NodePacks {
    public static final String SERVING_ATTRIBUTE = "instruct_embed.serving";
    public static final String PACKS_ATTRIBUTE = "instruct_embed.packs";
    /** The serving actions' wire format; a node of another one is not sent calls. */
    static final String SERVING_WIRE = "1";

    private NodePacks() {}

    /** The node settings that publish this node's packs ({@code node.attr.*}). */
    public static Settings attributes(PackRegistry packs) {
        StringBuilder published = new StringBuilder();
        for (String id : packs.ids()) {
            ModelPack pack = packs.get(id).orElseThrow();
            if (pack.state() == PackState.AVAILABLE && pack.identity() != null) {
                if (published.length() > 0) {
                    published.append(',');
                }
                published.append(id).append('=').append(pack.identity());
            }
        }
        return Settings.builder()
            .put("node.attr." + SERVING_ATTRIBUTE, SERVING_WIRE)
            .put("node.attr." + PACKS_ATTRIBUTE, published.toString())
            .build();
    }

    /** Whether the node can run other nodes' calls: it has the plugin's serving actions, at this wire version. */
    public static boolean hasServingActions(DiscoveryNode node) {
        return SERVING_WIRE.equals(node.getAttributes().get(SERVING_ATTRIBUTE));
    }

    /** The packs a node can run, by id, with their identities; empty for a node without the plugin. */
    public static Map<String, String> identities(DiscoveryNode node) {
        String published = node.getAttributes().get(PACKS_ATTRIBUTE);
        if (published == null || published.isEmpty()) {
            return Collections.emptyMap();
        }
        Map<String, String> identities = new TreeMap<>();
        for (String entry : published.split(",")) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                identities.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return identities;
    }
}
