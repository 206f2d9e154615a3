package io.instructembed.transport.serving;

import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;

/**
 * One node's serving stats: whether it has the role, which packs it serves as its own view says,
 * and its {@link ServingCounters}. A message of the serving feature's own (new with it), so its
 * format needs no version check until a field is added after its first release.
 */
public class ServingStatsNodeResponse extends BaseNodeResponse implements ToXContentFragment {
    private final boolean inPool;
    private final List<String> servedPacks;
    private final ServingCounters.Snapshot counters;

    public ServingStatsNodeResponse(DiscoveryNode node, boolean inPool, List<String> servedPacks, ServingCounters.Snapshot counters) {
        super(node);
        this.inPool = inPool;
        this.servedPacks = List.copyOf(servedPacks);
        this.counters = counters;
    }

    public ServingStatsNodeResponse(StreamInput in) throws IOException {
        super(in);
        inPool = in.readBoolean();
        servedPacks = in.readStringList();
        counters = ServingCounters.Snapshot.readFrom(in);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        out.writeBoolean(inPool);
        out.writeStringCollection(servedPacks);
        counters.writeTo(out);
    }

    public ServingCounters.Snapshot counters() {
        return counters;
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(getNode().getId());
        builder.field("name", getNode().getName());
        builder.field("role", ServingView.hasRole(getNode()));
        builder.field("may_serve", inPool);
        builder.field("serves", servedPacks);
        counters.toXContent(builder, params);
        return builder.endObject();
    }
}
