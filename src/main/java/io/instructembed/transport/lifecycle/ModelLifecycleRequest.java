package io.instructembed.transport.lifecycle;

import org.opensearch.action.support.nodes.BaseNodesRequest;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;

/** {@code POST models/{model_id}/_load} or {@code _unload}, optionally {@code ?nodes=}. */
public class ModelLifecycleRequest extends BaseNodesRequest<ModelLifecycleRequest> {
    public enum Operation {
        LOAD,
        UNLOAD
    }

    private final String modelId;
    private final Operation operation;

    public ModelLifecycleRequest(String modelId, Operation operation, String... nodeIds) {
        super(nodeIds);
        this.modelId = modelId;
        this.operation = operation;
    }

    public ModelLifecycleRequest(StreamInput in) throws IOException {
        super(in);
        modelId = in.readString();
        operation = in.readEnum(Operation.class);
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

    public Operation operation() {
        return operation;
    }
}
