package io.instructembed.transport.serving;

import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodes;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How loaded each serving node is for each pack, as this node sees it: the texts the node said
 * were waiting for the model in its last answer to us, plus the texts we sent it that it has not
 * answered yet. A call goes to the node where that sum is smallest, ties taking turns, so that
 * several coordinating nodes spread their calls without talking to one another. Entries exist
 * only for nodes in the cluster and packs they serve (pruned when nodes leave): bounded.
 */
final class ServingLoads {
    private final ConcurrentHashMap<Key, Load> loads = new ConcurrentHashMap<>();
    private final AtomicInteger turn = new AtomicInteger();

    private record Key(String nodeId, String packId) {}

    private static final class Load {
        volatile int reportedQueue;
        final AtomicInteger inFlight = new AtomicInteger();

        int texts() {
            return reportedQueue + inFlight.get();
        }
    }

    /** The least loaded of {@code nodes} that is not in {@code excluded}, or null when none is left. */
    DiscoveryNode pick(List<DiscoveryNode> nodes, String packId, Set<String> excluded) {
        DiscoveryNode best = null;
        int bestTexts = Integer.MAX_VALUE;
        int start = Math.floorMod(turn.getAndIncrement(), Math.max(1, nodes.size()));
        for (int i = 0; i < nodes.size(); i++) {
            DiscoveryNode node = nodes.get((start + i) % nodes.size());
            if (excluded.contains(node.getId())) {
                continue;
            }
            int texts = load(node, packId).texts();
            if (texts < bestTexts) {
                best = node;
                bestTexts = texts;
            }
        }
        return best;
    }

    void sent(DiscoveryNode node, String packId, int texts) {
        load(node, packId).inFlight.addAndGet(texts);
    }

    /** The node answered (or failed): its texts are no longer in flight; {@code reportedQueue} when it said, else -1. */
    void done(DiscoveryNode node, String packId, int texts, int reportedQueue) {
        Load load = load(node, packId);
        load.inFlight.addAndGet(-texts);
        if (reportedQueue >= 0) {
            load.reportedQueue = reportedQueue;
        }
    }

    /** Forgets nodes that left the cluster. */
    void retain(DiscoveryNodes nodes) {
        loads.keySet().removeIf(key -> nodes.nodeExists(key.nodeId()) == false);
    }

    private Load load(DiscoveryNode node, String packId) {
        return loads.computeIfAbsent(new Key(node.getId(), packId), k -> new Load());
    }
}
