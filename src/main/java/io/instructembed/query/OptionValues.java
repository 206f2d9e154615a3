package io.instructembed.query;

import org.opensearch.core.common.ParsingException;
import org.opensearch.core.xcontent.XContentParser;

import java.io.IOException;

/**
 * Reads a query option's value only when it has the type the option takes. The parser's own
 * {@code text()} turns numbers and booleans into strings and fails with an internal error on null,
 * arrays and objects; a query is a user's input, so each of those is a 400 naming the option.
 */
final class OptionValues {
    private OptionValues() {}

    /** A JSON string; anything else (a number, a boolean, null, an array, an object) is a parsing error. */
    static String string(XContentParser parser, String query, String option) throws IOException {
        if (parser.currentToken() != XContentParser.Token.VALUE_STRING) {
            throw new ParsingException(
                parser.getTokenLocation(),
                "[" + query + "] [" + option + "] must be a string, got " + describe(parser)
            );
        }
        return parser.text();
    }

    /** A JSON number, or a string holding one (as OpenSearch's own queries accept for [boost]). */
    static float number(XContentParser parser, String query, String option) throws IOException {
        XContentParser.Token token = parser.currentToken();
        if (token == XContentParser.Token.VALUE_NUMBER || token == XContentParser.Token.VALUE_STRING) {
            try {
                float value = parser.floatValue();
                if (Float.isFinite(value)) {
                    return value;
                }
            } catch (IllegalArgumentException e) {
                // not a number: reported below like any other wrong value
            }
        }
        throw new ParsingException(parser.getTokenLocation(), "[" + query + "] [" + option + "] must be a finite number, got " + describe(parser));
    }

    /**
     * Any value, kept as read for k-NN's own parser to check. JSON the parser refuses to read (too
     * deeply nested, a broken number) is the user's mistake, so a 400 naming the option, not the
     * reader's internal error (a 500).
     */
    static Object any(XContentParser parser, String query, String option) throws IOException {
        try {
            return switch (parser.currentToken()) {
                case START_OBJECT -> parser.mapOrdered();
                case START_ARRAY -> parser.listOrderedMap();
                default -> parser.objectText();
            };
        } catch (IOException e) {
            throw new ParsingException(parser.getTokenLocation(), "[" + query + "] [" + option + "] cannot be read: " + e.getMessage(), e);
        }
    }

    /** The value's JSON type, and the value itself for scalars, without reading nested structures. */
    static String describe(XContentParser parser) throws IOException {
        return switch (parser.currentToken()) {
            case VALUE_NULL -> "null";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_BOOLEAN -> "a boolean [" + parser.text() + "]";
            case VALUE_NUMBER -> "a number [" + parser.text() + "]";
            case VALUE_STRING -> "a string [" + abbreviate(parser.text()) + "]";
            default -> "[" + parser.currentToken() + "]";
        };
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
