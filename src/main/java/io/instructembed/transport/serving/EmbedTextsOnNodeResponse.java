package io.instructembed.transport.serving;

import io.instructembed.model.Embedding;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;
import java.util.List;

/**
 * What a serving node answers to an {@link EmbedTextsOnNodeRequest}: the embeddings in the call's
 * order ({@link ServingWire#writeEmbeddings}), then the texts waiting on that node for the model
 * when it answered (vint), which a router uses to prefer the least loaded node, then the
 * nanoseconds the serving node took (vlong), which tell the caller's time on the wire from its own.
 */
public class EmbedTextsOnNodeResponse extends ActionResponse {
    private final List<Embedding> embeddings;
    private final int queuedTexts;
    private final long servingNanos;

    public EmbedTextsOnNodeResponse(List<Embedding> embeddings, int queuedTexts, long servingNanos) {
        this.embeddings = embeddings;
        this.queuedTexts = queuedTexts;
        this.servingNanos = servingNanos;
    }

    public EmbedTextsOnNodeResponse(StreamInput in) throws IOException {
        super(in);
        embeddings = ServingWire.readEmbeddings(in);
        queuedTexts = in.readVInt();
        servingNanos = in.readVLong();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        ServingWire.writeEmbeddings(out, embeddings);
        out.writeVInt(queuedTexts);
        out.writeVLong(servingNanos);
    }

    public List<Embedding> embeddings() {
        return embeddings;
    }

    public int queuedTexts() {
        return queuedTexts;
    }

    /** How long the serving node took, from receiving the call to answering it. */
    public long servingNanos() {
        return servingNanos;
    }
}
