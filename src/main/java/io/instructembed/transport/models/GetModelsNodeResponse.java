package io.instructembed.transport.models;

import io.instructembed.model.ModelStatus;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;
import java.util.List;

/** One node's load state of each model. */
public class GetModelsNodeResponse extends BaseNodeResponse {
    private final List<ModelStatus> statuses;

    public GetModelsNodeResponse(DiscoveryNode node, List<ModelStatus> statuses) {
        super(node);
        this.statuses = statuses;
    }

    public GetModelsNodeResponse(StreamInput in) throws IOException {
        super(in);
        statuses = in.readList(ModelStatus::readFrom);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeList(statuses);
    }

    public List<ModelStatus> statuses() {
        return statuses;
    }
}
