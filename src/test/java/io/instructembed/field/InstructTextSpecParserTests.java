package io.instructembed.field;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.test.OpenSearchTestCase;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one parser of an instruct_text declaration: every option, its default, and the 400 each bad
 * value gets (naming the field, the option and the reason).
 */
public class InstructTextSpecParserTests extends OpenSearchTestCase {

    private static InstructTextSpec parse(Object... keysAndValues) {
        Map<String, Object> definition = new LinkedHashMap<>();
        definition.put("type", "instruct_text");
        definition.put("model_id", "m");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            definition.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return InstructTextSpecParser.parse("doc.body", definition);
    }

    private static String refusal(Object... keysAndValues) {
        MapperParsingException e = expectThrows(MapperParsingException.class, () -> parse(keysAndValues));
        assertTrue(e.getMessage(), e.getMessage().startsWith("field [doc.body] of type [instruct_text]: "));
        assertEquals("a client's error", 400, e.status().getStatus());
        return e.getMessage().substring("field [doc.body] of type [instruct_text]: ".length());
    }

    public void testDefaults() {
        InstructTextSpec spec = parse();
        assertEquals("doc.body", spec.path());
        assertEquals("m", spec.modelId());
        assertNull(spec.task());
        assertEquals(new ChunkingOptions(ChunkingMethod.SENTENCES, null, 0), spec.chunking());
        assertTrue(spec.chunked());
        assertEquals(new VectorOptions("hnsw", "lucene", "cosinesimil", Map.of()), spec.vector());
        assertEquals(Map.of("name", "hnsw", "engine", "lucene", "space_type", "cosinesimil"), spec.vector().method());
        assertTrue(spec.skipExisting());
        assertNull("recorded from the sibling, not the declaration", spec.recordedPack());
        assertEquals("doc.body_instruct.chunks", spec.target());
        assertEquals("doc.body_instruct.chunks.vector", spec.vectorPath());
    }

    public void testEveryOptionGiven() {
        Map<String, Object> vector = Map.of(
            "space_type", "innerproduct",
            "encoder", Map.of("name", "sq"),
            "method", Map.of("name", "hnsw", "engine", "faiss", "parameters", Map.of("m", 32))
        );
        InstructTextSpec spec = parse(
            "task", "similarity",
            "chunking", Map.of("method", "tokens", "max_tokens", 128, "overlap_tokens", 16),
            "vector", vector,
            "skip_existing", false
        );
        assertEquals("similarity", spec.task());
        assertEquals(new ChunkingOptions(ChunkingMethod.TOKENS, 128, 16), spec.chunking());
        assertEquals(new VectorOptions("hnsw", "faiss", "innerproduct", Map.of("m", 32, "encoder", Map.of("name", "sq"))), spec.vector());
        assertEquals(
            Map.of("name", "hnsw", "engine", "faiss", "space_type", "innerproduct", "parameters", Map.of("m", 32, "encoder", Map.of("name", "sq"))),
            spec.vector().method()
        );
        assertFalse(spec.skipExisting());
    }

    public void testChunkingOffTrueAndAsStrings() {
        assertNull(parse("chunking", false).chunking());
        assertNull(parse("chunking", "false").chunking());
        assertEquals("doc.body_instruct.vector", parse("chunking", false).target());
        assertEquals(parse().chunking(), parse("chunking", true).chunking());
        assertEquals(parse().chunking(), parse("chunking", "true").chunking());
        assertEquals(parse().chunking(), parse("chunking", Map.of()).chunking());
        assertEquals(new ChunkingOptions(ChunkingMethod.SENTENCES, 64, 0), parse("chunking", Map.of("max_tokens", "64")).chunking());
    }

    public void testVectorOptionsFoldIntoOneMethod() {
        assertEquals("the method's own space type", "l2", parse("vector", Map.of("method", Map.of("space_type", "l2"))).vector().spaceType());
        assertEquals("the same space type twice", "l2", parse("vector", Map.of("space_type", "l2", "method", Map.of("space_type", "l2"))).vector().spaceType());
        VectorOptions sameEncoder = parse(
            "vector",
            Map.of("encoder", Map.of("name", "sq"), "method", Map.of("parameters", Map.of("encoder", Map.of("name", "sq"))))
        ).vector();
        assertEquals(Map.of("encoder", Map.of("name", "sq")), sameEncoder.parameters());
        assertEquals("hnsw", parse("vector", Map.of("method", Map.of("engine", "faiss"))).vector().name());
    }

    public void testSkipExistingAndStringsWrittenWithoutQuotes() {
        assertFalse(parse("skip_existing", "false").skipExisting());
        assertTrue(parse("skip_existing", true).skipExisting());
        assertEquals("7", parse("task", 7).task());
        assertEquals("7", InstructTextSpecParser.modelId(7));
    }

    public void testModelIdIsRequired() {
        MapperParsingException missing = expectThrows(
            MapperParsingException.class,
            () -> InstructTextSpecParser.parse("body", new HashMap<>(Map.of("type", "instruct_text")))
        );
        assertEquals("field [body] of type [instruct_text]: [model_id] is required", missing.getMessage());
        assertEquals("[model_id] is required", refusal("model_id", " "));
        assertEquals("[model_id] must be a string, got [{a=b}]", refusal("model_id", Map.of("a", "b")));
    }

    public void testBadTask() {
        assertEquals("[task] must be a string, got [{a=b}]", refusal("task", Map.of("a", "b")));
    }

    public void testBadChunking() {
        assertEquals("[chunking] must be true, false or an object of chunking options, got [7]", refusal("chunking", 7));
        assertEquals("[chunking] must be true, false or an object of chunking options, got [yes]", refusal("chunking", "yes"));
        assertEquals(
            "[chunking] [size] is not a chunking option; the options are [method, max_tokens, overlap_tokens]",
            refusal("chunking", Map.of("size", 1))
        );
        assertEquals("[chunking] [max_tokens] must be at least 8, got [4]", refusal("chunking", Map.of("max_tokens", 4)));
        assertEquals("[chunking] [max_tokens] must be an integer, got [many]", refusal("chunking", Map.of("max_tokens", "many")));
        assertEquals("[chunking] [overlap_tokens] must not be negative, got [-1]", refusal("chunking", Map.of("overlap_tokens", -1)));
        assertTrue(refusal("chunking", Map.of("max_tokens", 64, "overlap_tokens", 40)).startsWith("[chunking] [overlap_tokens] must be at most half of [max_tokens] (32)"));
        assertTrue(refusal("chunking", Map.of("method", "paragraphs")).startsWith("[chunking] [method] must be one of [tokens, sentences], got [paragraphs]"));
        assertEquals("[chunking] [method] must be a string, got [1]", refusal("chunking", Map.of("method", 1)));
    }

    public void testBadVector() {
        assertEquals("[vector] must be an object of k-NN options (space_type, method, encoder), got [hnsw]", refusal("vector", "hnsw"));
        assertEquals(
            "[vector] has no option [dimension]; the options are [space_type, method, encoder] (the dimension comes from the model)",
            refusal("vector", Map.of("dimension", 3))
        );
        assertEquals("[vector.method] must be an object (name, engine, parameters), got [hnsw]", refusal("vector", Map.of("method", "hnsw")));
        assertEquals(
            "[vector.method] has no option [dimension]; the options are [name, engine, space_type, parameters]",
            refusal("vector", Map.of("method", Map.of("dimension", 3)))
        );
        assertEquals(
            "[vector.space_type] [l2] and [vector.method.space_type] [innerproduct] differ; give one",
            refusal("vector", Map.of("space_type", "l2", "method", Map.of("space_type", "innerproduct")))
        );
        assertEquals("[vector.method.parameters] must be an object, got [32]", refusal("vector", Map.of("method", Map.of("parameters", 32))));
        assertEquals("[vector.encoder] must be an object (name, parameters), got [sq]", refusal("vector", Map.of("encoder", "sq")));
        assertEquals(
            "[vector.encoder] and [vector.method.parameters.encoder] differ; give one",
            refusal("vector", Map.of("encoder", Map.of("name", "sq"), "method", Map.of("parameters", Map.of("encoder", Map.of("name", "pq")))))
        );
        assertEquals("[vector.method.engine] must be a string, got [{a=b}]", refusal("vector", Map.of("method", Map.of("engine", Map.of("a", "b")))));
        assertEquals("[vector.space_type] must be a string, got [[l2]]", refusal("vector", Map.of("space_type", java.util.List.of("l2"))));
    }

    public void testBadSkipExisting() {
        assertEquals("[skip_existing] must be true or false, got [yes]", refusal("skip_existing", "yes"));
        assertEquals("[skip_existing] must be true or false, got [1]", refusal("skip_existing", 1));
    }

    public void testTheMapperKeepsOptionsAsWritten() {
        assertEquals(Boolean.FALSE, InstructTextSpecParser.writtenChunking(false));
        assertEquals(Boolean.TRUE, InstructTextSpecParser.writtenChunking("true"));
        assertEquals(Map.of(), InstructTextSpecParser.writtenChunking(Map.of()));
        assertEquals(Map.of("max_tokens", 128), InstructTextSpecParser.writtenChunking(Map.of("max_tokens", 128)));
        assertEquals(Map.of("space_type", "l2"), InstructTextSpecParser.writtenVector(Map.of("space_type", "l2")));
        // the mapper refuses what the parser refuses, in the same words
        IllegalArgumentException chunking = expectThrows(IllegalArgumentException.class, () -> InstructTextSpecParser.writtenChunking(Map.of("size", 1)));
        assertTrue(chunking.getMessage(), chunking.getMessage().startsWith("[chunking] [size] is not a chunking option"));
        IllegalArgumentException vector = expectThrows(IllegalArgumentException.class, () -> InstructTextSpecParser.writtenVector(Map.of("dimension", 3)));
        assertTrue(vector.getMessage(), vector.getMessage().contains("the dimension comes from the model"));
    }

    public void testRecordedPackComesFromTheSibling() {
        Map<String, Object> meta = Map.of(WrittenBy.MODEL, "m", WrittenBy.PACK, "abc");
        Map<String, Object> sibling = Map.of(
            "properties",
            Map.of("chunks", Map.of("type", "nested"), "chunks_fingerprint", Map.of("type", "keyword", "meta", meta))
        );
        Map<String, Object> mapping = Map.of(
            "properties",
            Map.of("body", Map.of("type", "instruct_text", "model_id", "m"), "body_instruct", sibling)
        );
        assertEquals("abc", InstructTextFields.of(mapping).get(0).recordedPack());
    }
}
