package io.instructembed.transport.lifecycle;

import io.instructembed.transport.NodesHeader;
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
        NodesHeader.write(builder, this);
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
}
