package io.instructembed.transport.lifecycle;

import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.nodes.BaseNodesResponse;
import org.opensearch.cluster.ClusterName;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;

/** Each node's state of the model after the load or unload, and the nodes that failed. */
public class ModelLifecycleResponse extends BaseNodesResponse<ModelLifecycleNodeResponse> implements ToXContentObject {

    public ModelLifecycleResponse(ClusterName clusterName, List<ModelLifecycleNodeResponse> nodes, List<FailedNodeException> failures) {
        super(clusterName, nodes, failures);
    }

    public ModelLifecycleResponse(StreamInput in) throws IOException {
        super(in);
    }

    @Override
    protected List<ModelLifecycleNodeResponse> readNodesFrom(StreamInput in) throws IOException {
        return in.readList(ModelLifecycleNodeResponse::new);
    }

    @Override
    protected void writeNodesTo(StreamOutput out, List<ModelLifecycleNodeResponse> nodes) throws IOException {
        out.writeList(nodes);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject();
        builder.startObject("_nodes");
        builder.field("total", getNodes().size() + failures().size());
        builder.field("successful", getNodes().size());
        builder.field("failed", failures().size());
        if (failures().isEmpty() == false) {
            builder.startArray("failures");
            for (FailedNodeException failure : failures()) {
                builder.startObject().field("node_id", failure.nodeId()).field("reason", rootMessage(failure)).endObject();
            }
            builder.endArray();
        }
        builder.endObject();
        builder.startObject("nodes");
        for (ModelLifecycleNodeResponse node : getNodes()) {
            builder.startObject(node.getNode().getId());
            builder.field("name", node.getNode().getName());
            builder.field("state", node.status().state().jsonName());
            if (node.status().device() != null) {
                builder.field("device", node.status().device());
            }
            if (node.status().error() != null) {
                builder.field("error", node.status().error());
            }
            builder.endObject();
        }
        builder.endObject();
        return builder.endObject();
    }

    private static String rootMessage(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage();
    }
}
