package io.instructembed.transport.embed;

import io.instructembed.model.Embedding;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Vectors in request order, with the tokens each text took and whether it was truncated. */
public class EmbedResponse extends ActionResponse implements ToXContentObject {
    private final String modelId;
    private final int dimensions;
    private final List<Embedding> embeddings;
    private final long tookMillis;

    public EmbedResponse(String modelId, int dimensions, List<Embedding> embeddings, long tookMillis) {
        this.modelId = modelId;
        this.dimensions = dimensions;
        this.embeddings = embeddings;
        this.tookMillis = tookMillis;
    }

    public EmbedResponse(StreamInput in) throws IOException {
        super(in);
        modelId = in.readString();
        dimensions = in.readVInt();
        int count = in.readVInt();
        embeddings = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            embeddings.add(new Embedding(in.readFloatArray(), in.readVInt(), in.readBoolean()));
        }
        tookMillis = in.readVLong();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeString(modelId);
        out.writeVInt(dimensions);
        out.writeVInt(embeddings.size());
        for (Embedding embedding : embeddings) {
            out.writeFloatArray(embedding.vector());
            out.writeVInt(embedding.tokens());
            out.writeBoolean(embedding.truncated());
        }
        out.writeVLong(tookMillis);
    }

    public List<Embedding> embeddings() {
        return embeddings;
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject();
        builder.field("model_id", modelId);
        builder.field("dimensions", dimensions);
        builder.field("took_ms", tookMillis);
        builder.startArray("embeddings");
        for (int i = 0; i < embeddings.size(); i++) {
            Embedding embedding = embeddings.get(i);
            builder.startObject();
            builder.field("index", i);
            builder.field("tokens", embedding.tokens());
            builder.field("truncated", embedding.truncated());
            builder.array("vector", embedding.vector());
            builder.endObject();
        }
        builder.endArray();
        return builder.endObject();
    }
}
