package io.instructembed.transport.serving;

import org.opensearch.cluster.node.DiscoveryNode;

/**
 * A serving node's answer to one call: the results, and the texts waiting on that node for the
 * model when it answered (queued or waiting for the model to load), for a router that prefers the
 * least loaded node.
 *
 * @param node         the node that ran the call
 * @param results      the call's results, as the local service would give them
 * @param queuedTexts  texts still waiting on {@code node} for the model as it answered
 * @param servingNanos how long {@code node} took, from receiving the call to answering it
 */
public record Served<T>(DiscoveryNode node, T results, int queuedTexts, long servingNanos) {}
