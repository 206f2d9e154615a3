package io.instructembed.rest.openai;

import io.instructembed.model.Embedding;
import io.instructembed.rest.RequestBodies;
import io.instructembed.rest.RestPaths;
import io.instructembed.transport.embed.EmbedAction;
import io.instructembed.transport.embed.EmbedRequest;
import io.instructembed.transport.embed.EmbedResponse;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestChannel;
import org.opensearch.rest.RestRequest;
import org.opensearch.transport.client.node.NodeClient;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;

/**
 * {@code POST /_plugins/_instruct_embed/v1/embeddings}: the OpenAI embeddings API, so that
 * applications and client libraries that speak it can point their base URL at a node. Documents by
 * default; {@code input_type: query} with a {@code task} or {@code instruction} for queries. Errors
 * come in OpenAI's shape, with the HTTP status OpenSearch would give.
 */
public class RestOpenAiEmbeddingsAction extends BaseRestHandler {
    @Override
    public String getName() {
        return "instruct_embed_openai_embeddings";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.POST, RestPaths.ROOT + "/v1/embeddings"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
        OpenAiEmbeddingsRequest parsed;
        SortedSet<String> unknown = OpenAiErrors.unknownUrlParams(request, Set.of());
        if (unknown.isEmpty() == false) {
            return channel -> OpenAiErrors.sendUnknownUrlParams(channel, unknown);
        }
        try {
            if (request.hasContentOrSourceParam() == false) {
                throw new OpenAiEmbeddingsRequest.InvalidField("input", "the request body must be a JSON object with model and input");
            }
            parsed = RequestBodies.parse(request, OpenAiEmbeddingsRequest::parse);
        } catch (OpenAiEmbeddingsRequest.InvalidField e) {
            return channel -> OpenAiErrors.send(channel, RestStatus.BAD_REQUEST, e.getMessage(), e.param);
        } catch (RuntimeException e) {
            return channel -> OpenAiErrors.send(channel, RestStatus.BAD_REQUEST, "could not parse the request body: " + e.getMessage(), null);
        }
        EmbedRequest embed = new EmbedRequest(parsed.model(), parsed.input(), parsed.inputType(), parsed.task(), parsed.instruction());
        return channel -> {
            ActionRequestValidationException invalid = embed.validate();
            if (invalid != null) {
                String first = invalid.validationErrors().get(0);
                OpenAiErrors.send(channel, RestStatus.BAD_REQUEST, OpenAiParams.message(first), OpenAiParams.paramOf(first));
                return;
            }
            client.execute(EmbedAction.INSTANCE, embed, new ActionListener<>() {
                @Override
                public void onResponse(EmbedResponse response) {
                    try {
                        sendEmbeddings(channel, parsed, response);
                    } catch (Exception e) {
                        onFailure(e);
                    }
                }

                @Override
                public void onFailure(Exception e) {
                    OpenAiErrors.sendFailure(channel, e);
                }
            });
        };
    }

    private static void sendEmbeddings(RestChannel channel, OpenAiEmbeddingsRequest request, EmbedResponse response) throws IOException {
        int dimensions = response.embeddings().get(0).vector().length;
        if (request.dimensions() != null && request.dimensions() != dimensions) {
            OpenAiErrors.send(
                channel,
                RestStatus.BAD_REQUEST,
                "model '" + request.model() + "' gives " + dimensions + " dimensions and does not support shortening them to " + request.dimensions(),
                "dimensions"
            );
            return;
        }
        XContentBuilder builder = channel.newBuilder();
        builder.startObject();
        builder.field("object", "list");
        builder.startArray("data");
        long tokens = 0;
        List<Embedding> embeddings = response.embeddings();
        for (int i = 0; i < embeddings.size(); i++) {
            Embedding embedding = embeddings.get(i);
            tokens += embedding.tokens();
            builder.startObject();
            builder.field("object", "embedding");
            builder.field("index", i);
            if (request.base64()) {
                builder.field("embedding", base64(embedding.vector()));
            } else {
                builder.array("embedding", embedding.vector());
            }
            builder.endObject();
        }
        builder.endArray();
        builder.field("model", request.model());
        builder.startObject("usage").field("prompt_tokens", tokens).field("total_tokens", tokens).endObject();
        builder.endObject();
        channel.sendResponse(new BytesRestResponse(RestStatus.OK, builder));
    }

    /** OpenAI's base64 format: the float32 values, little-endian, base64-encoded. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) {
            bytes.putFloat(v);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
