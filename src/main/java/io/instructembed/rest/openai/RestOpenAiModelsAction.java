package io.instructembed.rest.openai;

import io.instructembed.pack.PackDescription;
import io.instructembed.pack.PackState;
import io.instructembed.rest.RestPaths;
import io.instructembed.transport.models.GetModelsAction;
import io.instructembed.transport.models.GetModelsRequest;
import io.instructembed.transport.models.GetModelsResponse;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestChannel;
import org.opensearch.rest.RestRequest;
import org.opensearch.transport.client.node.NodeClient;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;

/**
 * {@code GET /_plugins/_instruct_embed/v1/models[/{model}]}: OpenAI's model list, which OpenAI
 * clients call to find the models they may name. It lists the packs that {@code v1/embeddings} on
 * this node can embed with: those whose manifest is valid and whose files are all installed here
 * (a pack not loaded yet is listed: it loads on first use). Packs without weights and invalid ones
 * are left out, and asking for one by id is a 404, as for an unknown id. It runs the
 * {@code GET models} action on this node alone, so the security plugin governs both alike.
 */
public class RestOpenAiModelsAction extends BaseRestHandler {
    /** OpenAI's {@code owned_by}: the organisation that serves the model, here the plugin. */
    static final String OWNED_BY = "instruct-embed";
    private static final String MODEL_PARAM = "model";

    @Override
    public String getName() {
        return "instruct_embed_openai_models";
    }

    @Override
    public List<Route> routes() {
        return List.of(
            new Route(RestRequest.Method.GET, RestPaths.ROOT + "/v1/models"),
            new Route(RestRequest.Method.GET, RestPaths.ROOT + "/v1/models/{" + MODEL_PARAM + "}")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        SortedSet<String> unknown = OpenAiErrors.unknownUrlParams(request, Set.of(MODEL_PARAM));
        if (unknown.isEmpty() == false) {
            return channel -> OpenAiErrors.sendUnknownUrlParams(channel, unknown);
        }
        String model = request.param(MODEL_PARAM);
        // v1/embeddings embeds on the node that receives it: this node's packs are the ones it can use
        GetModelsRequest getModels = new GetModelsRequest(model, "_local");
        return channel -> client.execute(GetModelsAction.INSTANCE, getModels, new ActionListener<>() {
            @Override
            public void onResponse(GetModelsResponse response) {
                try {
                    if (model == null) {
                        sendList(channel, response.packs());
                    } else {
                        sendModel(channel, model, response.packs().get(0));
                    }
                } catch (Exception e) {
                    onFailure(e);
                }
            }

            @Override
            public void onFailure(Exception e) {
                OpenAiErrors.sendFailure(channel, e);
            }
        });
    }

    /** Packs that some node serves (this node's own files need not be there); else, with no serving nodes yet known, this node's available ones. */
    private static boolean listed(Map<String, Object> pack) {
        if (pack.get("serving") instanceof Map<?, ?> serving) {
            if (serving.get("identity") != null) {
                return true;
            }
            if (Boolean.TRUE.equals(serving.get("role_nodes_only"))) {
                return false;  // calls would get a 503: no node with the role has its files
            }
        }
        return PackState.AVAILABLE.jsonName().equals(pack.get(PackDescription.STATE));
    }

    private static void sendList(RestChannel channel, List<Map<String, Object>> packs) throws IOException {
        XContentBuilder builder = channel.newBuilder();
        builder.startObject();
        builder.field("object", "list");
        builder.startArray("data");
        for (Map<String, Object> pack : packs) {
            if (listed(pack)) {
                writeModel(builder, pack);
            }
        }
        builder.endArray();
        builder.endObject();
        channel.sendResponse(new BytesRestResponse(RestStatus.OK, builder));
    }

    private static void sendModel(RestChannel channel, String model, Map<String, Object> pack) throws IOException {
        if (listed(pack) == false) {
            throw new ResourceNotFoundException(
                "model [{}] cannot embed: no node serves it (this node's pack is [{}]); GET _plugins/_instruct_embed/models/{} says why",
                model,
                pack.get(PackDescription.STATE),
                model
            );
        }
        XContentBuilder builder = channel.newBuilder();
        writeModel(builder, pack);
        channel.sendResponse(new BytesRestResponse(RestStatus.OK, builder));
    }

    /**
     * OpenAI's model object; {@code created} is when this node's copy of the pack last changed, or
     * 0 on a node without its weights (other nodes serve it): OpenAI's clients read an integer.
     */
    private static void writeModel(XContentBuilder builder, Map<String, Object> pack) throws IOException {
        builder.startObject();
        builder.field("id", pack.get(PackDescription.MODEL_ID));
        builder.field("object", "model");
        Object created = pack.get(PackDescription.FILES_MODIFIED);
        builder.field("created", created != null ? created : 0L);
        builder.field("owned_by", OWNED_BY);
        builder.endObject();
    }
}
