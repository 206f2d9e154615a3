package io.instructembed.field;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.mapping.KnnNativeLibraries;
import io.instructembed.model.EmbeddableCheck;
import org.opensearch.core.action.ActionListener;
import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.test.OpenSearchTestCase;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading instruct_text fields from mapping sources, the sub-fields the transformer derives from
 * them, and which returned-source paths the response filter leaves out.
 */
public class InstructTextFieldsTests extends OpenSearchTestCase {

    private static Map<String, Object> mutable(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, v instanceof Map<?, ?> m ? mutable(cast(m)) : v));
        return copy;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    public void testFindsFieldsInObjectsAndTypeWrappedMappings() {
        Map<String, Object> mapping = Map.of(
            "_doc",
            Map.of(
                "properties",
                Map.of(
                    "title", Map.of("type", "text"),
                    "meta", Map.of("properties", Map.of("summary", Map.of("type", "instruct_text", "model_id", "m", "chunking", false))),
                    "body", Map.of("type", "instruct_text", "model_id", "m", "task", "similarity", "skip_existing", false)
                )
            )
        );
        List<InstructTextSpec> fields = InstructTextFields.of(mapping);
        assertEquals(2, fields.size());
        InstructTextSpec summary = fields.stream().filter(f -> f.path().equals("meta.summary")).findFirst().orElseThrow();
        assertFalse(summary.chunked());
        assertEquals("meta.summary_instruct.vector", summary.target());
        assertEquals("meta.summary_instruct.vector", summary.vectorPath());
        assertTrue(summary.skipExisting());
        InstructTextSpec body = fields.stream().filter(f -> f.path().equals("body")).findFirst().orElseThrow();
        assertTrue(body.chunked());
        assertEquals("chunked by default, the size left to the pack", new ChunkingOptions(ChunkingMethod.SENTENCES, null, 0), body.chunking());
        assertEquals("body_instruct.chunks", body.target());
        assertEquals("body_instruct.chunks.vector", body.vectorPath());
        assertEquals("similarity", body.task());
        assertFalse(body.skipExisting());
    }

    public void testFieldsInsideNestedAreReportedSoTheyCanBeRefused() {
        Map<String, Object> mapping = Map.of(
            "properties",
            Map.of("parts", Map.of("type", "nested", "properties", Map.of("body", Map.of("type", "instruct_text", "model_id", "m"))))
        );
        assertTrue(InstructTextFields.of(mapping).isEmpty());
        List<InstructTextFields.Found> found = InstructTextFields.find(mapping);
        assertEquals(1, found.size());
        assertTrue(found.get(0).insideNested());
    }

    @SuppressWarnings("unchecked")
    public void testSiblingMappingFromThePack() {
        InstructTextSpec chunked = new InstructTextSpec("body", "m", null, InstructTextSpecParser.chunking(true), InstructTextSpecParser.DEFAULT_VECTOR, true, null);
        Map<String, Object> sibling = InstructTextMappingTransformer.siblingMapping(chunked, 1792, Map.of());
        Map<String, Object> properties = (Map<String, Object>) sibling.get("properties");
        assertEquals(List.of("chunks", "chunks_fingerprint"), List.copyOf(properties.keySet()));
        Map<String, Object> chunks = (Map<String, Object>) properties.get("chunks");
        assertEquals("nested", chunks.get("type"));
        Map<String, Object> vector = (Map<String, Object>) ((Map<String, Object>) chunks.get("properties")).get("vector");
        assertEquals(InstructVectorTypeParser.CONTENT_TYPE, vector.get("type"));
        assertEquals(1792, vector.get("dimension"));
        assertEquals(Map.of("name", "hnsw", "engine", "lucene", "space_type", "cosinesimil"), vector.get("method"));

        InstructTextSpec flat = new InstructTextSpec("body", "m", null, null, InstructTextSpecParser.DEFAULT_VECTOR, true, null);
        Map<String, Object> flatProperties = (Map<String, Object>) InstructTextMappingTransformer.siblingMapping(flat, 384, Map.of()).get("properties");
        assertEquals(List.of("vector", "vector_fingerprint"), List.copyOf(flatProperties.keySet()));
    }

    public void testTransformerRefusesAReservedSiblingAndAcceptsAReadBack() {
        InstructTextMappingTransformer transformer = new InstructTextMappingTransformer(() -> {
            throw new AssertionError("packs are not consulted before the reserved name is checked");
        }, new EmbeddableCheck(() -> null), KnnNativeLibraries.ofThisJvm());
        Map<String, Object> mapping = mutable(
            Map.of("properties", Map.of("body", Map.of("type", "instruct_text", "model_id", "m"), "body_instruct", Map.of("type", "keyword")))
        );
        Exception[] failure = new Exception[1];
        transformer.transform(mapping, null, ActionListener.wrap(r -> fail("accepted"), e -> failure[0] = e));
        assertTrue(failure[0].getMessage(), failure[0].getMessage().contains("[body_instruct] is reserved"));
    }

    public void testResponsesLeaveVectorsOutUnlessAskedFor() {
        List<String> vectors = List.of("body_instruct.chunks.vector");
        FetchSourceContext none = InstructTextSourceFilter.filter(null, vectors);
        assertArrayEquals(new String[] { "body_instruct.chunks.vector" }, none.excludes());
        FetchSourceContext own = InstructTextSourceFilter.filter(new FetchSourceContext(true, new String[] { "title" }, new String[] { "x" }), vectors);
        assertArrayEquals(new String[] { "title" }, own.includes());
        assertArrayEquals(new String[] { "x", "body_instruct.chunks.vector" }, own.excludes());
        FetchSourceContext asked = new FetchSourceContext(true, new String[] { "body_instruct" }, new String[0]);
        assertSame(asked, InstructTextSourceFilter.filter(asked, vectors));
        FetchSourceContext wildcard = InstructTextSourceFilter.filter(new FetchSourceContext(true, new String[] { "*" }, new String[0]), vectors);
        assertArrayEquals(new String[] { "body_instruct.chunks.vector" }, wildcard.excludes());
        FetchSourceContext off = new FetchSourceContext(false);
        assertSame(off, InstructTextSourceFilter.filter(off, vectors));
        assertFalse(InstructTextSourceFilter.asksFor(new String[] { "body_instructions" }, "body_instruct.vector"));
        assertTrue(InstructTextSourceFilter.asksFor(new String[] { "body_instruct.vector" }, "body_instruct.vector"));
    }

    public void testDynamicTemplatesThatMapInstructTextAreFound() {
        Map<String, Object> mapping = Map.of(
            "dynamic_templates",
            List.of(
                Map.of("strings", Map.of("match_mapping_type", "string", "mapping", Map.of("type", "keyword"))),
                Map.of("semantic", Map.of("match", "*_sem", "mapping", Map.of("type", "instruct_text", "model_id", "m")))
            ),
            "properties",
            Map.of()
        );
        assertEquals(List.of("semantic"), InstructTextFields.dynamicTemplates(mapping));
        assertEquals(List.of("semantic"), InstructTextFields.dynamicTemplates(Map.of("_doc", mapping)));
        // as create-index hands it over: wrapped in its type, with no properties
        assertEquals(List.of("semantic"), InstructTextFields.dynamicTemplates(Map.of("_doc", Map.of("dynamic_templates", mapping.get("dynamic_templates")))));
        assertEquals(List.of(), InstructTextFields.dynamicTemplates(Map.of("properties", Map.of())));
    }

    public void testTransformerRefusesADynamicTemplateOfInstructText() {
        InstructTextMappingTransformer transformer = new InstructTextMappingTransformer(() -> {
            throw new AssertionError("packs are not consulted for a dynamic template");
        }, new EmbeddableCheck(() -> null), KnnNativeLibraries.ofThisJvm());
        Map<String, Object> mapping = mutable(Map.of("properties", Map.of()));
        mapping.put("dynamic_templates", List.of(Map.of("sem", Map.of("match", "*_sem", "mapping", Map.of("type", "instruct_text", "model_id", "m")))));
        Exception[] failure = new Exception[1];
        transformer.transform(mapping, null, ActionListener.wrap(r -> fail("accepted"), e -> failure[0] = e));
        assertTrue(failure[0].getMessage(), failure[0].getMessage().contains("dynamic template [sem] maps fields as [instruct_text]"));
        assertTrue(failure[0].getMessage(), failure[0].getMessage().contains("under \"properties\""));
    }

    public void testFaissIsRefusedOnlyWhereKnnCannotLoadIt() throws java.io.IOException {
        java.nio.file.Path libraries = createTempDir();
        KnnNativeLibraries node = new KnnNativeLibraries(List.of(libraries), java.nio.file.Files::isRegularFile);
        Map<String, Object> faiss = Map.of(
            "properties",
            Map.of("body", Map.of("type", "instruct_text", "model_id", "m", "vector", Map.of("method", Map.of("engine", "faiss"))))
        );
        InstructTextMappingTransformer refusing = new InstructTextMappingTransformer(() -> {
            throw new AssertionError("the engine is checked before the pack");
        }, new EmbeddableCheck(() -> null), node);
        Exception[] failure = new Exception[1];
        refusing.transform(mutable(faiss), null, ActionListener.wrap(r -> fail("accepted"), e -> failure[0] = e));
        assertTrue(failure[0].getMessage(), failure[0].getMessage().startsWith("field [body] of type [instruct_text]: [vector.method.engine] [faiss]"));
        assertTrue(failure[0].getMessage(), failure[0].getMessage().contains("use \"engine\": \"lucene\""));

        java.nio.file.Files.write(libraries.resolve(System.mapLibraryName("opensearchknn_faiss")), new byte[] { 0 });
        java.nio.file.Files.write(libraries.resolve(System.mapLibraryName("opensearchknn_common")), new byte[] { 0 });
        InstructTextMappingTransformer accepting = new InstructTextMappingTransformer(() -> {
            throw new IllegalStateException("reached the pack");
        }, new EmbeddableCheck(() -> null), node);
        accepting.transform(mutable(faiss), null, ActionListener.wrap(r -> fail("no packs here"), e -> failure[0] = e));
        assertEquals("with the libraries the engine passes, and the pack is looked up next", "reached the pack", failure[0].getMessage());
    }
}
