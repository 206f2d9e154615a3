package io.instructembed.rest.openai;

import org.opensearch.ExceptionsHelper;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestChannel;
import org.opensearch.rest.RestRequest;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * OpenAI's error shape, {@code {"error": {"message", "type", "param", "code"}}}, with the HTTP
 * status OpenSearch would give, for every endpoint under {@code v1/}: OpenAI's clients read
 * {@code type}, {@code param} and {@code code}, and would not understand OpenSearch's own shape.
 */
final class OpenAiErrors {
    /** URL parameters OpenSearch itself reads (response formatting, a body in the URL). */
    private static final List<String> KNOWN_URL_PARAMS = List.of("pretty", "human", "error_trace", "filter_path", "format", "source", "source_content_type");

    private OpenAiErrors() {}

    /**
     * The URL parameters of a request that OpenAI's API does not have, sorted; {@code pathParams}
     * are the route's own. All parameters are consumed, the route's too (a handler that answers
     * with this error never reads them), so that OpenSearch does not answer them in its shape.
     */
    static SortedSet<String> unknownUrlParams(RestRequest request, Set<String> pathParams) {
        SortedSet<String> unknown = new TreeSet<>(request.params().keySet());
        unknown.forEach(request::param);
        unknown.removeAll(KNOWN_URL_PARAMS);
        unknown.removeAll(pathParams);
        return unknown;
    }

    /** The 400 of URL parameters that OpenAI's API does not have, naming the first in {@code param}. */
    static void sendUnknownUrlParams(RestChannel channel, SortedSet<String> unknown) throws IOException {
        send(channel, RestStatus.BAD_REQUEST, "Unrecognized query parameter supplied: " + String.join(", ", unknown), unknown.first());
    }

    /**
     * The failure of an action (an unknown model is a 404 naming {@code model}); the message in
     * the words of OpenAI's parameters. Never throws: a response that cannot be built is a 500.
     */
    static void sendFailure(RestChannel channel, Exception e) {
        try {
            RestStatus status = ExceptionsHelper.status(e);
            String message = ExceptionsHelper.unwrapCause(e).getMessage();
            String param = status == RestStatus.NOT_FOUND ? "model" : OpenAiParams.paramOf(message);
            send(channel, status, OpenAiParams.message(message), param);
        } catch (IOException io) {
            channel.sendResponse(new BytesRestResponse(RestStatus.INTERNAL_SERVER_ERROR, io.getMessage()));
        }
    }

    static void send(RestChannel channel, RestStatus status, String message, String param) throws IOException {
        XContentBuilder builder = channel.newErrorBuilder();
        builder.startObject().startObject("error");
        builder.field("message", message);
        builder.field("type", switch (status) {
            case NOT_FOUND, BAD_REQUEST -> "invalid_request_error";
            case TOO_MANY_REQUESTS -> "rate_limit_exceeded";
            default -> "server_error";
        });
        builder.field("param", param);
        builder.field("code", status == RestStatus.NOT_FOUND ? "model_not_found" : null);
        builder.endObject().endObject();
        channel.sendResponse(new BytesRestResponse(status, builder));
    }
}
