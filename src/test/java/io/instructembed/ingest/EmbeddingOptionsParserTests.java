package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import org.opensearch.OpenSearchException;
import org.opensearch.test.OpenSearchTestCase;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The processor's options, read once: every option with its default, what each bad value gets
 * (a configuration error naming the option as {@code property_name}), and that every option read
 * is taken out of the config (the ingest service refuses what is left).
 */
public class EmbeddingOptionsParserTests extends OpenSearchTestCase {

    private static Map<String, Object> config(Object... keysAndValues) {
        Map<String, Object> config = new HashMap<>();
        config.put("model_id", "m");
        config.put("field_map", new HashMap<>(Map.of("body", "body_vector")));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            config.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return config;
    }

    private static OpenSearchException refusal(String property, Map<String, Object> config) {
        OpenSearchException e = expectThrows(OpenSearchException.class, () -> EmbeddingOptionsParser.parse("t", config));
        assertEquals(e.getMessage(), List.of(property), e.getMetadata("opensearch.property_name"));
        assertEquals(400, e.status().getStatus());
        return e;
    }

    public void testDefaults() {
        Map<String, Object> config = config();
        EmbeddingOptions options = EmbeddingOptionsParser.parse("t", config);
        assertEquals(new EmbeddingOptions("m", Map.of("body", "body_vector"), null, true, false, null, false), options);
        assertTrue("every option is consumed", config.isEmpty());
    }

    public void testEveryOptionGiven() {
        Map<String, Object> config = config(
            "task", "similarity",
            "truncate", false,
            "ignore_missing", true,
            "chunking", Map.of("method", "tokens", "max_tokens", 64, "overlap_tokens", 8),
            "skip_existing", true
        );
        EmbeddingOptions options = EmbeddingOptionsParser.parse("t", config);
        assertEquals("similarity", options.task());
        assertFalse(options.truncate());
        assertTrue(options.ignoreMissing());
        assertEquals(new ChunkingOptions(ChunkingMethod.TOKENS, 64, 8), options.chunking());
        assertTrue(options.skipExisting());
        assertTrue(config.isEmpty());
        // an empty chunking object is chunking with the defaults, its size left to the pack
        assertEquals(new ChunkingOptions(ChunkingMethod.SENTENCES, null, 0), EmbeddingOptionsParser.parse("t", config("chunking", Map.of())).chunking());
    }

    public void testFieldMapKeepsItsOrder() {
        Map<String, Object> fieldMap = new java.util.LinkedHashMap<>();
        fieldMap.put("title", "title_vector");
        fieldMap.put("body", "body_vector");
        assertEquals(List.of("title", "body"), List.copyOf(EmbeddingOptionsParser.parse("t", config("field_map", fieldMap)).fieldMap().keySet()));
    }

    public void testBadValues() {
        Map<String, Object> noModel = config();
        noModel.remove("model_id");
        assertEquals("[model_id] required property is missing", refusal("model_id", noModel).getMessage());
        Map<String, Object> noFieldMap = config();
        noFieldMap.remove("field_map");
        refusal("field_map", noFieldMap);
        assertEquals(
            "[field_map] must map at least one source field to a target field",
            refusal("field_map", config("field_map", new HashMap<>())).getMessage()
        );
        assertTrue(refusal("field_map", config("field_map", new HashMap<>(Map.of("text", "text")))).getMessage().contains("mapped to itself"));
        assertEquals(
            "[field_map] [text] must map to a target field name",
            refusal("field_map", config("field_map", new HashMap<>(Map.of("text", 5)))).getMessage()
        );
        assertTrue(
            refusal("field_map", config("field_map", new HashMap<>(Map.of("title", "_id")))).getMessage().contains("metadata field [_id]")
        );
        refusal("truncate", config("truncate", "maybe"));
        refusal("ignore_missing", config("ignore_missing", "maybe"));
        refusal("skip_existing", config("skip_existing", "maybe"));
        assertEquals("[chunking] [max_tokens] must be at least 8, got [4]", refusal("chunking", config("chunking", Map.of("max_tokens", 4))).getMessage());
        assertTrue(refusal("chunking", config("chunking", true)).getMessage().startsWith("[chunking] must be an object"));
        assertTrue(
            refusal("chunking", config("chunking", Map.of("size", 4))).getMessage().startsWith("[chunking] [size] is not a chunking option")
        );
    }
}
