package io.instructembed.rest.openai;

import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;

/** OpenAI's clients read {@code param} to tell the user which argument was wrong (issue #14, defect 10). */
public class OpenAiErrorsTests extends OpenSearchTestCase {

    private static OpenAiEmbeddingsRequest.InvalidField invalid(String body) throws IOException {
        try (XContentParser parser = JsonXContent.jsonXContent.createParser(NamedXContentRegistry.EMPTY, DeprecationHandler.THROW_UNSUPPORTED_OPERATION, body)) {
            return expectThrows(OpenAiEmbeddingsRequest.InvalidField.class, () -> OpenAiEmbeddingsRequest.parse(parser));
        }
    }

    public void testNullInAnInputArrayIsAnInvalidTypeNotATokenArray() throws IOException {
        OpenAiEmbeddingsRequest.InvalidField e = invalid("{\"model\":\"m\",\"input\":[\"ok\",null]}");
        assertEquals("input", e.param);
        assertEquals("input[1] is null: input must be a string or an array of strings", e.getMessage());
        e = invalid("{\"model\":\"m\",\"input\":[true]}");
        assertEquals("input[0] is a boolean: input must be a string or an array of strings", e.getMessage());
        e = invalid("{\"model\":\"m\",\"input\":[{\"a\":1}]}");
        assertTrue(e.getMessage(), e.getMessage().startsWith("input[0] is an object"));
        e = invalid("{\"model\":\"m\",\"input\":[1,2,3]}");
        assertTrue(e.getMessage(), e.getMessage().contains("token arrays are not supported"));
    }

    public void testServiceErrorsNameTheOpenAiParameter() {
        assertEquals("input", OpenAiParams.paramOf("[texts] has 300 texts, more than the 256 allowed per call (instruct_embed.embed.max_texts)"));
        assertEquals("input", OpenAiParams.paramOf("[texts][2] is empty: give text to embed"));
        assertEquals("task", OpenAiParams.paramOf("[task] model [m] has no task [x]; its tasks are [retrieval]"));
        assertEquals("task", OpenAiParams.paramOf("[task] and [instruction] are exclusive: give one"));
        assertEquals("instruction", OpenAiParams.paramOf("[instruction] applies to input_type [query] only"));
        assertEquals("model", OpenAiParams.paramOf("[model_id] is required"));
        assertNull(OpenAiParams.paramOf("the inference queue of model [x] is full"));
        assertNull(OpenAiParams.paramOf(null));
        assertEquals("[input][2] is empty: give text to embed", OpenAiParams.message("[texts][2] is empty: give text to embed"));
    }
}
