package io.instructembed.transport.models;

import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.transport.TransportRequest;

import java.io.IOException;

/** The part of {@link GetModelsRequest} each node answers. */
public class GetModelsNodeRequest extends TransportRequest {
    private final String modelId;

    public GetModelsNodeRequest(String modelId) {
        this.modelId = modelId;
    }

    public GetModelsNodeRequest(StreamInput in) throws IOException {
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
