package io.instructembed.rest;

import org.opensearch.ExceptionsHelper;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.rest.RestRequest;

import java.io.IOException;

/**
 * Reads a request's JSON body as one object, so that every body that is not one is a 400: one
 * past the JSON parser's limits (a number of thousands of digits, a key of 65,536 characters),
 * which the parser reports as an error OpenSearch would answer with a 500, and one with content
 * after its object (the rest would be ignored silently).
 */
public final class RequestBodies {
    private RequestBodies() {}

    /** Reads the body of a request. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(XContentParser parser) throws IOException;
    }

    public static <T> T parse(RestRequest request, Reader<T> reader) {
        try (XContentParser parser = request.contentOrSourceParamParser()) {
            T parsed = reader.read(parser);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("the request body has content after its JSON object: send one object");
            }
            return parsed;
        } catch (IOException | RuntimeException e) {
            if (e instanceof RuntimeException runtime && ExceptionsHelper.status(runtime).getStatus() < 500) {
                throw runtime;  // already a 4xx naming the problem
            }
            throw new IllegalArgumentException("the request body is not valid JSON for this API: " + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        // the parser quotes the whole offending value: keep the message short
        return message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }
}
