package io.instructembed.rest.openai;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which OpenAI request parameter an error of the embedding service is about. The service names
 * the field it refuses first, in brackets ({@code [texts][3] is empty}, {@code [task] model [x] has
 * no task [y]}); OpenAI's clients expect the name of the parameter they sent in {@code param}, and
 * the message in their words ({@code input} for {@code texts}, {@code model} for {@code model_id}).
 */
final class OpenAiParams {
    private static final Pattern LEADING_FIELD = Pattern.compile("^\\[([a-z_]+)\\]");
    private static final Map<String, String> PARAMS = Map.of(
        "texts", "input",
        "model_id", "model",
        "task", "task",
        "instruction", "instruction",
        "input_type", "input_type"
    );

    private OpenAiParams() {}

    /** The OpenAI parameter an error message is about, or null when it names none. */
    static String paramOf(String message) {
        if (message == null) {
            return null;
        }
        Matcher matcher = LEADING_FIELD.matcher(message);
        return matcher.find() ? PARAMS.get(matcher.group(1)) : null;
    }

    /** The message with the service's field names replaced by the OpenAI parameters they came from. */
    static String message(String message) {
        if (message == null) {
            return null;
        }
        return message.replace("[texts]", "[input]").replace("[model_id]", "[model]");
    }
}
