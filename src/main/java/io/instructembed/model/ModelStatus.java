package io.instructembed.model;

import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;

import java.io.IOException;

/**
 * What one node says about one model.
 *
 * @param device where it runs when loaded (e.g. {@code cpu}), else null
 * @param error  why the last load failed, else null
 */
public record ModelStatus(String modelId, LoadState state, String device, String error, long loadMillis) implements Writeable {

    public static ModelStatus readFrom(StreamInput in) throws IOException {
        return new ModelStatus(in.readString(), LoadState.fromJson(in.readString()), in.readOptionalString(), in.readOptionalString(), in.readVLong());
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeString(modelId);
        out.writeString(state.jsonName());
        out.writeOptionalString(device);
        out.writeOptionalString(error);
        out.writeVLong(loadMillis);
    }
}
