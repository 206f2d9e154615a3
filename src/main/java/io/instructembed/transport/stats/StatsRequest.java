package io.instructembed.transport.stats;

import org.opensearch.action.support.nodes.BaseNodesRequest;
import org.opensearch.core.common.io.stream.StreamInput;

import java.io.IOException;

/** Stats of the given nodes (all by default). */
public class StatsRequest extends BaseNodesRequest<StatsRequest> {
    public StatsRequest(String... nodeIds) {
        super(nodeIds);
    }

    public StatsRequest(StreamInput in) throws IOException {
        super(in);
    }
}
