package io.instructembed.transport.serving;

import io.instructembed.model.DocumentCall;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;

/**
 * A {@link DocumentCall} on its way to a serving node: its wire form is the call's
 * ({@link ServingWire#writeDocumentCall}) after the transport request's own header. The call was
 * checked where it was made (text limits, options parsed at the processor); the serving node's
 * model service checks the model and task again, as it does for a local call.
 */
public class EmbedDocumentsOnNodeRequest extends ActionRequest {
    private final DocumentCall call;

    public EmbedDocumentsOnNodeRequest(DocumentCall call) {
        this.call = call;
    }

    public EmbedDocumentsOnNodeRequest(StreamInput in) throws IOException {
        super(in);
        call = ServingWire.readDocumentCall(in);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        ServingWire.writeDocumentCall(out, call);
    }

    @Override
    public ActionRequestValidationException validate() {
        return null;  // a DocumentCall is a typed value, complete by construction
    }

    public DocumentCall call() {
        return call;
    }
}
