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
 * when it answered (vint), which a router uses to prefer the least loaded node.
 */
public class EmbedTextsOnNodeResponse extends ActionResponse {
    private final List<Embedding> embeddings;
    private final int queuedTexts;

    public EmbedTextsOnNodeResponse(List<Embedding> embeddings, int queuedTexts) {
        this.embeddings = embeddings;
        this.queuedTexts = queuedTexts;
    }

    public EmbedTextsOnNodeResponse(StreamInput in) throws IOException {
        super(in);
        embeddings = ServingWire.readEmbeddings(in);
        queuedTexts = in.readVInt();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        ServingWire.writeEmbeddings(out, embeddings);
        out.writeVInt(queuedTexts);
    }

    public List<Embedding> embeddings() {
        return embeddings;
    }

    public int queuedTexts() {
        return queuedTexts;
    }
}
