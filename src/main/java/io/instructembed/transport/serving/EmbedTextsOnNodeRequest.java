package io.instructembed.transport.serving;

import io.instructembed.model.EmbeddingService.EmbedCall;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;

/**
 * An {@link EmbedCall} on its way to a serving node: its wire form is the call's
 * ({@link ServingWire#writeEmbedCall}) after the transport request's own header. Checked where
 * it was made ({@code _embed}'s limits, the query's parsing); the serving node's model service
 * checks the model, task and instruction again, as it does for a local call.
 */
public class EmbedTextsOnNodeRequest extends ActionRequest {
    private final EmbedCall call;

    public EmbedTextsOnNodeRequest(EmbedCall call) {
        this.call = call;
    }

    public EmbedTextsOnNodeRequest(StreamInput in) throws IOException {
        super(in);
        call = ServingWire.readEmbedCall(in);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        ServingWire.writeEmbedCall(out, call);
    }

    @Override
    public ActionRequestValidationException validate() {
        return null;  // an EmbedCall is a typed value, made by the caller's own parsing
    }

    public EmbedCall call() {
        return call;
    }
}
