package io.instructembed.rest;

import io.instructembed.transport.embed.EmbedAction;
import io.instructembed.transport.embed.EmbedRequest;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

import java.io.IOException;
import java.util.List;

/** {@code POST /_plugins/_instruct_embed/_embed}. */
public class RestEmbedAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "instruct_embed_embed";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.POST, RestPaths.ROOT + "/_embed"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
        if (request.hasContentOrSourceParam() == false) {
            throw new IllegalArgumentException("request body is required: {\"model_id\": ..., \"texts\": [...]}");
        }
        EmbedRequest embedRequest = RequestBodies.parse(request, EmbedRequest::parse);
        return channel -> client.execute(EmbedAction.INSTANCE, embedRequest, new RestToXContentListener<>(channel));
    }
}
