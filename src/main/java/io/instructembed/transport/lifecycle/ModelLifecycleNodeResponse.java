package io.instructembed.transport.lifecycle;

import io.instructembed.model.ModelStatus;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;

/** A model's state on one node after the operation. */
public class ModelLifecycleNodeResponse extends BaseNodeResponse {
    private final ModelStatus status;

    public ModelLifecycleNodeResponse(DiscoveryNode node, ModelStatus status) {
        super(node);
        this.status = status;
    }

    public ModelLifecycleNodeResponse(StreamInput in) throws IOException {
        super(in);
        status = ModelStatus.readFrom(in);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        status.writeTo(out);
    }

    public ModelStatus status() {
        return status;
    }
}
