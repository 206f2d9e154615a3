package io.instructembed.query;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

public class QueryModelResolverTests extends OpenSearchTestCase {

    private static Map<String, Object> processor(String model, Map<String, Object> fieldMap) {
        return Map.of("instruct_embedding", Map.of("model_id", model, "field_map", fieldMap));
    }

    public void testFindsTheProcessorThatWritesTheField() {
        Map<String, Object> pipeline = Map.of(
            "processors",
            List.of(
                Map.of("set", Map.of("field", "x", "value", 1)),
                processor("bge-small-en-v1.5", Map.of("title", "title_vector", "paragraphs", "paragraph_vectors")),
                processor("sfr-embedding-mistral", Map.of("body", "body_vector"))
            )
        );
        assertEquals(new TreeSet<>(List.of("bge-small-en-v1.5")), QueryModelResolver.modelsWriting(pipeline, "title_vector"));
        // arrays of texts are written as nested objects whose vector sits under ".vector"
        assertEquals(new TreeSet<>(List.of("bge-small-en-v1.5")), QueryModelResolver.modelsWriting(pipeline, "paragraph_vectors.vector"));
        assertEquals(new TreeSet<>(List.of("sfr-embedding-mistral")), QueryModelResolver.modelsWriting(pipeline, "body_vector"));
        assertTrue(QueryModelResolver.modelsWriting(pipeline, "title").isEmpty());
        assertTrue(QueryModelResolver.modelsWriting(Map.of(), "title_vector").isEmpty());
    }

    public void testSeveralProcessorsForOneFieldAreAllReported() {
        Map<String, Object> pipeline = Map.of(
            "processors",
            List.of(processor("a", Map.of("t", "v")), processor("b", Map.of("u", "v")))
        );
        assertEquals(new TreeSet<>(List.of("a", "b")), QueryModelResolver.modelsWriting(pipeline, "v"));
    }
}
