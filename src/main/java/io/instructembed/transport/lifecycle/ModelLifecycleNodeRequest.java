package io.instructembed.transport.lifecycle;

import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.transport.TransportRequest;

import java.io.IOException;

/** The load or unload one node carries out. */
public class ModelLifecycleNodeRequest extends TransportRequest {
    private final String modelId;
    private final ModelLifecycleRequest.Operation operation;

    public ModelLifecycleNodeRequest(String modelId, ModelLifecycleRequest.Operation operation) {
        this.modelId = modelId;
        this.operation = operation;
    }

    public ModelLifecycleNodeRequest(StreamInput in) throws IOException {
        super(in);
        modelId = in.readString();
        operation = in.readEnum(ModelLifecycleRequest.Operation.class);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeString(modelId);
        out.writeEnum(operation);
    }

    public String modelId() {
        return modelId;
    }

    public ModelLifecycleRequest.Operation operation() {
        return operation;
    }
}
