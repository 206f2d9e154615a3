package io.instructembed.transport.embed;

import io.instructembed.pack.InputType;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.core.ParseField;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ObjectParser;
import org.opensearch.core.xcontent.XContentParseException;
import org.opensearch.core.xcontent.XContentParser;

import java.io.IOException;
import java.util.List;

import static org.opensearch.action.ValidateActions.addValidationError;

/** {@code POST /_plugins/_instruct_embed/_embed}: {@code {model_id, texts, input_type, task?, instruction?}}. */
public class EmbedRequest extends ActionRequest {
    private static final ObjectParser<EmbedRequest, Void> PARSER = new ObjectParser<>("embed", false, EmbedRequest::new);

    static {
        PARSER.declareString((r, v) -> r.modelId = v, new ParseField("model_id"));
        // Not declareStringArray: it turns numbers and booleans into strings ("1", "true").
        PARSER.declareField((r, v) -> r.texts = v, EmbedRequest::parseTexts, new ParseField("texts"), ObjectParser.ValueType.STRING_ARRAY);
        PARSER.declareString((r, v) -> r.inputType = InputType.fromJson(v), new ParseField("input_type"));
        PARSER.declareString((r, v) -> r.task = v, new ParseField("task"));
        PARSER.declareString((r, v) -> r.instruction = v, new ParseField("instruction"));
    }

    private String modelId;
    private List<String> texts;
    private InputType inputType = InputType.DOCUMENT;
    private String task;
    private String instruction;

    public EmbedRequest() {}

    public EmbedRequest(String modelId, List<String> texts, InputType inputType, String task, String instruction) {
        this.modelId = modelId;
        this.texts = texts;
        this.inputType = inputType;
        this.task = task;
        this.instruction = instruction;
    }

    public EmbedRequest(StreamInput in) throws IOException {
        super(in);
        modelId = in.readString();
        texts = in.readStringList();
        inputType = in.readEnum(InputType.class);
        task = in.readOptionalString();
        instruction = in.readOptionalString();
    }

    /** An array of JSON strings only; anything else in it is a 400 naming its place. */
    private static List<String> parseTexts(XContentParser parser) throws IOException {
        if (parser.currentToken() == XContentParser.Token.VALUE_STRING) {
            return List.of(parser.text());  // one text, as declareStringArray took it
        }
        List<String> texts = new java.util.ArrayList<>();
        XContentParser.Token token;
        while ((token = parser.nextToken()) != XContentParser.Token.END_ARRAY) {
            if (token != XContentParser.Token.VALUE_STRING) {
                throw new XContentParseException(
                    parser.getTokenLocation(),
                    "[texts][" + texts.size() + "] must be a string, got " + switch (token) {
                        case VALUE_NULL -> "null";
                        case START_ARRAY -> "an array";
                        case START_OBJECT -> "an object";
                        default -> "[" + parser.text() + "] (" + token + ")";
                    }
                );
            }
            texts.add(parser.text());
        }
        return texts;
    }

    public static EmbedRequest parse(XContentParser parser) throws IOException {
        return PARSER.parse(parser, null);
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeString(modelId);
        out.writeStringCollection(texts);
        out.writeEnum(inputType);
        out.writeOptionalString(task);
        out.writeOptionalString(instruction);
    }

    @Override
    public ActionRequestValidationException validate() {
        ActionRequestValidationException errors = null;
        if (modelId == null || modelId.isEmpty()) {
            errors = addValidationError("[model_id] is required", errors);
        }
        if (texts == null || texts.isEmpty()) {
            errors = addValidationError("[texts] must be a non-empty array of strings", errors);
        } else {
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null) {
                    errors = addValidationError("[texts][" + i + "] must be a string, got null", errors);
                }
            }
        }
        if (task != null && instruction != null) {
            errors = addValidationError("[task] and [instruction] are exclusive: give one", errors);
        }
        return errors;
    }

    public String modelId() {
        return modelId;
    }

    public List<String> texts() {
        return texts;
    }

    public InputType inputType() {
        return inputType;
    }

    public String task() {
        return task;
    }

    public String instruction() {
        return instruction;
    }
}
