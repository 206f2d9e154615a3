package io.instructembed.transport;

import org.opensearch.action.support.nodes.BaseNodesResponse;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;

/** The {@code _nodes} summary OpenSearch's node-level APIs put at the top of their answers. */
public final class NodesHeader {
    private NodesHeader() {}

    public static void write(XContentBuilder builder, BaseNodesResponse<?> response) throws IOException {
        builder.startObject("_nodes");
        builder.field("total", response.getNodes().size() + response.failures().size());
        builder.field("successful", response.getNodes().size());
        builder.field("failed", response.failures().size());
        if (response.failures().isEmpty() == false) {
            builder.startArray("failures");
            for (var failure : response.failures()) {
                Throwable cause = failure;
                while (cause.getCause() != null && cause.getCause() != cause) {
                    cause = cause.getCause();
                }
                builder.startObject().field("node_id", failure.nodeId()).field("reason", cause.getMessage()).endObject();
            }
            builder.endArray();
        }
        builder.endObject();
    }
}
