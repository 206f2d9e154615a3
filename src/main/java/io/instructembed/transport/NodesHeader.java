package io.instructembed.transport;

import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.common.CheckedConsumer;
import org.opensearch.core.xcontent.ToXContent;
import org.opensearch.core.xcontent.ToXContentFragment;

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

    /**
     * The whole answer of a node-level stats API: {@code {"_nodes": {...}, "cluster_name": ...,
     * <fields>, "nodes": {id: {...}}}}, each node writing its own object.
     */
    public static <N extends BaseNodeResponse & ToXContentFragment> XContentBuilder nodesObject(
        XContentBuilder builder,
        BaseNodesResponse<N> response,
        ToXContent.Params params,
        CheckedConsumer<XContentBuilder, IOException> fields
    ) throws IOException {
        builder.startObject();
        write(builder, response);
        builder.field("cluster_name", response.getClusterName().value());
        fields.accept(builder);
        builder.startObject("nodes");
        for (N node : response.getNodes()) {
            node.toXContent(builder, params);
        }
        builder.endObject();
        return builder.endObject();
    }
}
