package io.instructembed.stats;

import io.instructembed.model.IngestCounters;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;

/** One model's chunking on one node: chunks written, chunks per document, documents over the limit. */
public record ChunkingStats(long chunks, long documents, double medianPerDocument, long maxPerDocument, long overLimitDocuments)
    implements
        Writeable,
        ToXContentFragment {

    public static final ChunkingStats NONE = new ChunkingStats(0, 0, 0, 0, 0);

    public static ChunkingStats of(IngestCounters counters) {
        if (counters == null) {
            return NONE;
        }
        return new ChunkingStats(
            counters.chunks(),
            counters.documents(),
            counters.medianPerDocument(),
            counters.maxPerDocument(),
            counters.overLimitDocuments()
        );
    }

    public static ChunkingStats readFrom(StreamInput in) throws IOException {
        return new ChunkingStats(in.readVLong(), in.readVLong(), in.readDouble(), in.readVLong(), in.readVLong());
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeVLong(chunks);
        out.writeVLong(documents);
        out.writeDouble(medianPerDocument);
        out.writeVLong(maxPerDocument);
        out.writeVLong(overLimitDocuments);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject("chunking");
        builder.field("chunks", chunks);
        builder.field("documents", documents);
        // over the most recent documents
        builder.startObject("chunks_per_document").field("p50", medianPerDocument).field("max", maxPerDocument).endObject();
        builder.field("documents_over_limit", overLimitDocuments);
        return builder.endObject();
    }
}
