package io.instructembed.transport.serving;

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

/** {@code {"_nodes": {...}, "cluster_name": ..., "require_role": ..., "nodes": {id: {...}}}}. */
public class ServingStatsResponse extends BaseNodesResponse<ServingStatsNodeResponse> implements ToXContentObject {
    private final boolean requireRole;

    public ServingStatsResponse(ClusterName clusterName, List<ServingStatsNodeResponse> nodes, List<FailedNodeException> failures, boolean requireRole) {
        super(clusterName, nodes, failures);
        this.requireRole = requireRole;
    }

    public ServingStatsResponse(StreamInput in) throws IOException {
        super(in);
        requireRole = in.readBoolean();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        out.writeBoolean(requireRole);
    }

    @Override
    protected List<ServingStatsNodeResponse> readNodesFrom(StreamInput in) throws IOException {
        return in.readList(ServingStatsNodeResponse::new);
    }

    @Override
    protected void writeNodesTo(StreamOutput out, List<ServingStatsNodeResponse> nodes) throws IOException {
        out.writeList(nodes);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        return NodesHeader.nodesObject(builder, this, params, fields -> fields.field("require_role", requireRole));
    }
}
