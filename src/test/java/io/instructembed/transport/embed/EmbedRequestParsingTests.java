package io.instructembed.transport.embed;

import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentParseException;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.List;

/** {@code _embed} takes strings only: numbers and booleans are not turned into text (issue #14, defect 7). */
public class EmbedRequestParsingTests extends OpenSearchTestCase {

    private static EmbedRequest parse(String body) throws IOException {
        try (XContentParser parser = JsonXContent.jsonXContent.createParser(NamedXContentRegistry.EMPTY, DeprecationHandler.THROW_UNSUPPORTED_OPERATION, body)) {
            return EmbedRequest.parse(parser);
        }
    }

    private static String rootCause(String body) {
        Throwable e = expectThrows(XContentParseException.class, () -> parse(body));
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    public void testTextsAreStringsOnly() {
        assertTrue(rootCause("{\"model_id\":\"m\",\"texts\":[1,true]}"), rootCause("{\"model_id\":\"m\",\"texts\":[1,true]}").contains("[texts][0] must be a string, got [1]"));
        assertTrue(rootCause("{\"model_id\":\"m\",\"texts\":[\"a\",true]}").contains("[texts][1] must be a string, got [true]"));
        assertTrue(rootCause("{\"model_id\":\"m\",\"texts\":[\"a\",null]}").contains("[texts][1] must be a string, got null"));
        assertTrue(rootCause("{\"model_id\":\"m\",\"texts\":[[\"a\"]]}").contains("[texts][0] must be a string, got an array"));
        assertTrue(rootCause("{\"model_id\":\"m\",\"texts\":[{}]}").contains("[texts][0] must be a string, got an object"));
    }

    public void testOtherFieldsAreStringsOnly() {
        expectThrows(XContentParseException.class, () -> parse("{\"model_id\":5,\"texts\":[\"a\"]}"));
        expectThrows(XContentParseException.class, () -> parse("{\"model_id\":\"m\",\"task\":[\"a\"],\"texts\":[\"a\"]}"));
        expectThrows(XContentParseException.class, () -> parse("{\"model_id\":\"m\",\"texts\":5}"));
    }

    public void testStringsAreKept() throws IOException {
        assertEquals(List.of("a", "b"), parse("{\"model_id\":\"m\",\"texts\":[\"a\",\"b\"]}").texts());
        assertEquals(List.of("one"), parse("{\"model_id\":\"m\",\"texts\":\"one\"}").texts());
    }
}
