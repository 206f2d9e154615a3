package io.instructembed.transport.stats;

import io.instructembed.stats.ModelStats;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.threadpool.ThreadPoolStats;

import java.io.IOException;
import java.util.List;

/** One node's model stats and its inference pool. */
public class StatsNodeResponse extends BaseNodeResponse implements ToXContentFragment {
    private final List<ModelStats> models;
    private final ThreadPoolStats.Stats pool;

    public StatsNodeResponse(DiscoveryNode node, List<ModelStats> models, ThreadPoolStats.Stats pool) {
        super(node);
        this.models = models;
        this.pool = pool;
    }

    public StatsNodeResponse(StreamInput in) throws IOException {
        super(in);
        models = in.readList(ModelStats::readFrom);
        pool = in.readOptionalWriteable(ThreadPoolStats.Stats::new);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeList(models);
        out.writeOptionalWriteable(pool);
    }

    public List<ModelStats> models() {
        return models;
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(getNode().getId());
        builder.field("name", getNode().getName());
        if (pool != null) {
            builder.startObject("inference_pool");
            builder.field("threads", pool.getThreads());
            builder.field("active", pool.getActive());
            builder.field("queue", pool.getQueue());
            builder.field("rejected", pool.getRejected());
            builder.field("completed", pool.getCompleted());
            builder.endObject();
        }
        builder.startObject("models");
        for (ModelStats model : models) {
            model.toXContent(builder, params);
        }
        builder.endObject();
        return builder.endObject();
    }
}
