package io.instructembed.transport.stats;

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

/** {@code {"_nodes": {...}, "cluster_name": ..., "nodes": {id: {...}}}}, as OpenSearch's own stats APIs. */
public class StatsResponse extends BaseNodesResponse<StatsNodeResponse> implements ToXContentObject {

    public StatsResponse(ClusterName clusterName, List<StatsNodeResponse> nodes, List<FailedNodeException> failures) {
        super(clusterName, nodes, failures);
    }

    public StatsResponse(StreamInput in) throws IOException {
        super(in);
    }

    @Override
    protected List<StatsNodeResponse> readNodesFrom(StreamInput in) throws IOException {
        return in.readList(StatsNodeResponse::new);
    }

    @Override
    protected void writeNodesTo(StreamOutput out, List<StatsNodeResponse> nodes) throws IOException {
        out.writeList(nodes);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        return NodesHeader.nodesObject(builder, this, params, fields -> {});
    }
}
