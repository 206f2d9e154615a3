package io.instructembed.rest.openai;

import io.instructembed.pack.InputType;
import org.opensearch.core.xcontent.XContentParser;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The body of an OpenAI {@code POST /v1/embeddings} request, with this plugin's extensions for
 * query-side embedding ({@code input_type}, {@code task}, {@code instruction}).
 */
record OpenAiEmbeddingsRequest(
    String model,
    List<String> input,
    boolean base64,
    Integer dimensions,
    InputType inputType,
    String task,
    String instruction
) {

    /** A request field that is wrong; rendered as an OpenAI {@code invalid_request_error} naming it. */
    static final class InvalidField extends IllegalArgumentException {
        final String param;

        InvalidField(String param, String message) {
            super(message);
            this.param = param;
        }
    }

    static OpenAiEmbeddingsRequest parse(XContentParser parser) throws IOException {
        Map<String, Object> body = parser.map();
        String model = string(body, "model", true);
        List<String> input = input(body.get("input"));
        String format = string(body, "encoding_format", false);
        if (format != null && format.equals("float") == false && format.equals("base64") == false) {
            throw new InvalidField("encoding_format", "encoding_format must be 'float' or 'base64', got '" + format + "'");
        }
        Object dimensions = body.get("dimensions");
        if (dimensions != null && (dimensions instanceof Integer) == false) {
            throw new InvalidField("dimensions", "dimensions must be an integer");
        }
        string(body, "user", false);  // accepted and ignored, as the API allows
        String inputType = string(body, "input_type", false);
        InputType type;
        try {
            type = inputType == null ? InputType.DOCUMENT : InputType.fromJson(inputType);
        } catch (IllegalArgumentException e) {
            throw new InvalidField("input_type", "input_type must be 'query' or 'document', got '" + inputType + "'");
        }
        for (String key : body.keySet()) {
            if (List.of("model", "input", "encoding_format", "dimensions", "user", "input_type", "task", "instruction").contains(key) == false) {
                throw new InvalidField(key, "Unrecognized request argument supplied: " + key);
            }
        }
        return new OpenAiEmbeddingsRequest(
            model,
            input,
            "base64".equals(format),
            (Integer) dimensions,
            type,
            string(body, "task", false),
            string(body, "instruction", false)
        );
    }

    private static String string(Map<String, Object> body, String key, boolean required) {
        Object value = body.get(key);
        if (value == null) {
            if (required) {
                throw new InvalidField(key, "you must provide a " + key + " parameter");
            }
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        throw new InvalidField(key, key + " must be a string");
    }

    private static List<String> input(Object value) {
        if (value == null) {
            throw new InvalidField("input", "you must provide an input parameter");
        }
        if (value instanceof String text) {
            return List.of(text);
        }
        if (value instanceof List<?> list && list.isEmpty() == false) {
            List<String> texts = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                Object item = list.get(i);
                if (item instanceof String text) {
                    texts.add(text);
                } else if (item instanceof Number || item instanceof List<?>) {
                    throw new InvalidField("input", "input[" + i + "] is not a string: input must be a string or an array of strings; token arrays are not supported");
                } else {
                    throw new InvalidField(
                        "input",
                        "input[" + i + "] is " + (item == null ? "null" : item instanceof Map<?, ?> ? "an object" : "a " + item.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT))
                            + ": input must be a string or an array of strings"
                    );
                }
            }
            return texts;
        }
        throw new InvalidField("input", "input must be a non-empty string or array of strings");
    }
}
