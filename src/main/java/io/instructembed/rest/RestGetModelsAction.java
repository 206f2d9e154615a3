package io.instructembed.rest;

import io.instructembed.transport.models.GetModelsAction;
import io.instructembed.transport.models.GetModelsRequest;
import org.opensearch.core.common.Strings;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

import java.util.List;

/** {@code GET /_plugins/_instruct_embed/models[/{model_id}]}, optionally {@code ?nodes=}. */
public class RestGetModelsAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "instruct_embed_get_models";
    }

    @Override
    public List<Route> routes() {
        return List.of(
            new Route(RestRequest.Method.GET, RestPaths.ROOT + "/models"),
            new Route(RestRequest.Method.GET, RestPaths.ROOT + "/models/{model_id}")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        String modelId = request.param("model_id");
        String[] nodes = Strings.splitStringByCommaToArray(request.param("nodes"));
        GetModelsRequest getModels = new GetModelsRequest(modelId, nodes);
        return channel -> client.execute(GetModelsAction.INSTANCE, getModels, new RestToXContentListener<>(channel));
    }
}
