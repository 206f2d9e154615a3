package io.instructembed.transport.serving;

import io.instructembed.model.DocumentResult;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;
import java.util.List;

/**
 * What a serving node answers to a {@link EmbedDocumentsOnNodeRequest}: one result per document,
 * in the call's order ({@link ServingWire#writeDocumentResults}), then the texts waiting on that
 * node for the model when it answered (vint), which a router uses to prefer the least loaded node, then the
 * nanoseconds the serving node took (vlong), which tell the caller's time on the wire from its own.
 */
public class EmbedDocumentsOnNodeResponse extends ActionResponse {
    private final List<DocumentResult> results;
    private final int queuedTexts;
    private final long servingNanos;

    public EmbedDocumentsOnNodeResponse(List<DocumentResult> results, int queuedTexts, long servingNanos) {
        this.results = results;
        this.queuedTexts = queuedTexts;
        this.servingNanos = servingNanos;
    }

    public EmbedDocumentsOnNodeResponse(StreamInput in) throws IOException {
        super(in);
        results = ServingWire.readDocumentResults(in);
        queuedTexts = in.readVInt();
        servingNanos = in.readVLong();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        ServingWire.writeDocumentResults(out, results);
        out.writeVInt(queuedTexts);
        out.writeVLong(servingNanos);
    }

    public List<DocumentResult> results() {
        return results;
    }

    public int queuedTexts() {
        return queuedTexts;
    }

    /** How long the serving node took, from receiving the call to answering it. */
    public long servingNanos() {
        return servingNanos;
    }
}
