package io.instructembed.transport.stats;

import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.transport.TransportRequest;

import java.io.IOException;

/** Asks one node for its stats. */
public class StatsNodeRequest extends TransportRequest {
    public StatsNodeRequest() {}

    public StatsNodeRequest(StreamInput in) throws IOException {
        super(in);
    }
}
