package io.instructembed.query;

import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;

/**
 * The options of {@code instruct_knn} that this plugin reads itself take only their own JSON type:
 * null, arrays, objects (a 500 before issue #14) and numbers or booleans (silently turned into
 * text) are parsing errors, HTTP 400, that name the option.
 */
public class InstructKnnQueryParsingTests extends OpenSearchTestCase {

    private static Exception parseError(String body) throws IOException {
        try (
            XContentParser parser = JsonXContent.jsonXContent.createParser(
                NamedXContentRegistry.EMPTY,
                DeprecationHandler.THROW_UNSUPPORTED_OPERATION,
                body
            )
        ) {
            parser.nextToken();
            return expectThrows(ParsingException.class, () -> InstructKnnQueryBuilder.fromXContent(parser));
        }
    }

    public void testTextOptionsRefuseEveryOtherJsonType() throws IOException {
        for (String option : new String[] { "query_text", "task", "instruction", "model_id", "_name" }) {
            for (String[] value : new String[][] {
                { "null", "null" },
                { "[\"a\",\"b\"]", "an array" },
                { "{\"a\":1}", "an object" },
                { "5", "a number [5]" },
                { "true", "a boolean [true]" } }) {
                String other = option.equals("query_text") ? "" : "\"query_text\":\"ok\",";
                Exception e = parseError("{\"vec\":{" + other + "\"" + option + "\":" + value[0] + ",\"k\":3}}");
                assertEquals(option + " = " + value[0], "[instruct_knn] [" + option + "] must be a string, got " + value[1], e.getMessage());
            }
        }
    }

    public void testBoostMustBeAFiniteNumber() throws IOException {
        for (String value : new String[] { "null", "\"abc\"", "[1]", "{}", "true", "\"NaN\"", "\"Infinity\"" }) {
            Exception e = parseError("{\"vec\":{\"query_text\":\"ok\",\"boost\":" + value + "}}");
            assertTrue(value + ": " + e.getMessage(), e.getMessage().startsWith("[instruct_knn] [boost] must be a finite number, got "));
        }
    }

    public void testInnerHitsMustBeAnObject() throws IOException {
        for (String value : new String[] { "null", "[]", "3", "\"x\"" }) {
            Exception e = parseError("{\"vec\":{\"query_text\":\"ok\",\"inner_hits\":" + value + "}}");
            assertEquals("[instruct_knn] [inner_hits] must be an object", e.getMessage());
        }
    }

    public void testBlankQueryTextAndStructureErrors() throws IOException {
        assertEquals("[instruct_knn] [query_text] is required and must not be empty or blank (only white space or invisible characters)", parseError("{\"vec\":{\"query_text\":\"  \"}}").getMessage());
        assertEquals("[instruct_knn] [query_text] is required and must not be empty or blank (only white space or invisible characters)", parseError("{\"vec\":{\"k\":3}}").getMessage());
        // invisible characters are blank too: a zero-width space, a no-break space, U+2060
        assertEquals("[instruct_knn] [query_text] is required and must not be empty or blank (only white space or invisible characters)", parseError("{\"vec\":{\"query_text\":\"\\u200b\\u00a0\\u2060\"}}").getMessage());
        assertTrue(parseError("{\"vec\":\"text\"}").getMessage().contains("must hold an object with [query_text]"));
        assertTrue(parseError("{\"vec\":null}").getMessage().contains("must hold an object with [query_text]"));
        assertTrue(parseError("{}").getMessage().contains("needs a vector field"));
    }

    public void testJsonTooDeepToReadIsAParsingErrorNamingTheOption() throws IOException {
        String deep = "{\"a\":".repeat(3000) + "1" + "}".repeat(3000);
        for (String option : new String[] { "filter", "colour", "inner_hits" }) {
            Exception e = parseError("{\"vec\":{\"query_text\":\"x\",\"k\":3,\"" + option + "\":" + deep + "}}");
            assertTrue(e.getMessage(), e.getMessage().startsWith("[instruct_knn] [" + option + "] cannot be read: Document nesting depth"));
        }
    }
}
