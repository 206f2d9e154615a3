package io.instructembed.rest;

import io.instructembed.transport.serving.ServingStatsAction;
import io.instructembed.transport.stats.StatsRequest;
import org.opensearch.core.common.Strings;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

import java.util.List;

/** {@code GET /_plugins/_instruct_embed/serving} and {@code GET /_plugins/_instruct_embed/{node_id}/serving}: each node's serving role and traffic. */
public class RestServingStatsAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "instruct_embed_serving_stats";
    }

    @Override
    public List<Route> routes() {
        return List.of(
            new Route(RestRequest.Method.GET, RestPaths.ROOT + "/serving"),
            new Route(RestRequest.Method.GET, RestPaths.ROOT + "/{node_id}/serving")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        StatsRequest stats = new StatsRequest(Strings.splitStringByCommaToArray(request.param("node_id")));
        return channel -> client.execute(ServingStatsAction.INSTANCE, stats, new RestToXContentListener<>(channel));
    }
}
