package io.instructembed.transport.models;

import org.opensearch.action.support.nodes.BaseNodesRequest;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;

/** All packs, or one ({@code modelId}), on the given nodes (all by default). */
public class GetModelsRequest extends BaseNodesRequest<GetModelsRequest> {
    private final String modelId;

    public GetModelsRequest(String modelId, String... nodeIds) {
        super(nodeIds);
        this.modelId = modelId;
    }

    public GetModelsRequest(StreamInput in) throws IOException {
        super(in);
        modelId = in.readOptionalString();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeOptionalString(modelId);
    }

    public String modelId() {
        return modelId;
    }
}
