package io.instructembed.rest;

import io.instructembed.transport.lifecycle.ModelLifecycleAction;
import io.instructembed.transport.lifecycle.ModelLifecycleRequest;
import org.opensearch.core.common.Strings;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

import java.util.List;

/** {@code POST /_plugins/_instruct_embed/models/{model_id}/_load} and {@code .../_unload}, {@code ?nodes=}. */
public class RestModelLifecycleAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "instruct_embed_model_lifecycle";
    }

    @Override
    public List<Route> routes() {
        return List.of(
            new Route(RestRequest.Method.POST, RestPaths.ROOT + "/models/{model_id}/_load"),
            new Route(RestRequest.Method.POST, RestPaths.ROOT + "/models/{model_id}/_unload")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        ModelLifecycleRequest.Operation operation = request.path().endsWith("/_load")
            ? ModelLifecycleRequest.Operation.LOAD
            : ModelLifecycleRequest.Operation.UNLOAD;
        ModelLifecycleRequest lifecycle = new ModelLifecycleRequest(
            request.param("model_id"),
            operation,
            Strings.splitStringByCommaToArray(request.param("nodes"))
        );
        return channel -> client.execute(ModelLifecycleAction.INSTANCE, lifecycle, new RestToXContentListener<>(channel));
    }
}
