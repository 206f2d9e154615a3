package io.instructembed.stats;

import io.instructembed.model.IngestCounters;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;

/** One model's {@code skip_existing} work on one node: source texts whose stored vectors were reused, and those embedded. */
public record SkipExistingStats(long textsSkipped, long textsEmbedded) implements Writeable, ToXContentFragment {
    public static final SkipExistingStats NONE = new SkipExistingStats(0, 0);

    public static SkipExistingStats of(IngestCounters counters) {
        return counters == null ? NONE : new SkipExistingStats(counters.textsSkipped(), counters.textsEmbedded());
    }

    public static SkipExistingStats readFrom(StreamInput in) throws IOException {
        return new SkipExistingStats(in.readVLong(), in.readVLong());
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeVLong(textsSkipped);
        out.writeVLong(textsEmbedded);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        return builder.startObject("skip_existing").field("texts_skipped", textsSkipped).field("texts_embedded", textsEmbedded).endObject();
    }
}
