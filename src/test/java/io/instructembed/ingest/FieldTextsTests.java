package io.instructembed.ingest;

import io.instructembed.mapping.VectorFieldMappings;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.test.OpenSearchTestCase;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class FieldTextsTests extends OpenSearchTestCase {

    private static IngestDocument document(Map<String, Object> source) {
        return new IngestDocument("index", "id", null, null, null, new HashMap<>(source));
    }

    private static Map<String, String> map(String... pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }

    public void testStringsArraysAndDottedPaths() {
        IngestDocument doc = document(Map.of("title", "a title", "body", Map.of("paragraphs", List.of("p1", "p2"))));
        List<FieldTexts.Field> fields = FieldTexts.read(doc, map("title", "title_vec", "body.paragraphs", "para_vecs"), false, false).fields();
        assertEquals(2, fields.size());
        assertEquals(new FieldTexts.Field("title", "title_vec", List.of("a title"), false), fields.get(0));
        assertEquals(new FieldTexts.Field("body.paragraphs", "para_vecs", List.of("p1", "p2"), true), fields.get(1));
    }

    public void testMissingAndNullFields() {
        Map<String, Object> source = new HashMap<>();
        source.put("nothing", null);
        IngestDocument doc = document(source);
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> FieldTexts.read(doc, map("title", "v"), false, false));
        assertTrue(e.getMessage(), e.getMessage().startsWith("field [title] is missing"));
        e = expectThrows(IllegalArgumentException.class, () -> FieldTexts.read(doc, map("nothing", "v"), false, false));
        assertTrue(e.getMessage(), e.getMessage().startsWith("field [nothing] is null"));
        FieldTexts.Read read = FieldTexts.read(doc, map("title", "v", "nothing", "w"), true, false);
        assertTrue(read.fields().isEmpty());
        assertEquals(List.of("v"), read.absentTargets());
        assertEquals(List.of("w"), read.clearedTargets());
        // a partial document: an absent source is unchanged, not missing, even without ignore_missing
        FieldTexts.Read partial = FieldTexts.read(doc, map("title", "v"), false, true);
        assertEquals(List.of("v"), partial.absentTargets());
    }

    public void testBlankTextIsClearedLikeNull() {
        FieldTexts.Read read = FieldTexts.read(document(Map.of("t", " \n\t")), map("t", "v"), false, false);
        assertTrue(read.fields().isEmpty());
        assertEquals(List.of("v"), read.clearedTargets());
    }

    public void testDottedKeysAreFoundLikeNestedObjects() {
        IngestDocument doc = document(Map.of("meta.summary", "dotted", "outer", Map.of("a.b", List.of("x"))));
        FieldTexts.Read read = FieldTexts.read(doc, map("meta.summary", "s_vec", "outer.a.b", "ab_vec"), false, false);
        assertEquals(new FieldTexts.Field("meta.summary", "s_vec", List.of("dotted"), false), read.fields().get(0));
        assertEquals(new FieldTexts.Field("outer.a.b", "ab_vec", List.of("x"), true), read.fields().get(1));
    }

    public void testWrongTypesNameTheField() {
        IngestDocument doc = document(Map.of("n", 3, "o", Map.of("x", "y"), "a", List.of("ok", 1.5)));
        assertEquals(
            "field [n] must be a string or an array of strings, got [3] (integer)",
            expectThrows(IllegalArgumentException.class, () -> FieldTexts.read(doc, map("n", "v"), false, false)).getMessage()
        );
        assertEquals(
            "field [o] must be a string or an array of strings, got an object",
            expectThrows(IllegalArgumentException.class, () -> FieldTexts.read(doc, map("o", "v"), true, false)).getMessage()
        );
        assertEquals(
            "field [a][1] must be a string, got [1.5] (double)",
            expectThrows(IllegalArgumentException.class, () -> FieldTexts.read(doc, map("a", "v"), false, false)).getMessage()
        );
    }

    public void testVectorFieldMappingsFromTheMapping() {
        Map<String, Object> knn384 = Map.of("type", "knn_vector", "dimension", 384);
        Map<String, Object> mapping = Map.of(
            "properties",
            Map.of(
                "vec", knn384,
                "wide", Map.of("type", "knn_vector", "dimension", 768),
                "title", Map.of("type", "text"),
                "outer", Map.of("properties", Map.of("inner", knn384)),
                "paras", Map.of("type", "nested", "properties", Map.of("vector", Map.of("type", "knn_vector", "dimension", 1792)))
            )
        );
        VectorFieldMappings dims = VectorFieldMappings.fromMapping(mapping);
        assertNull(dims.check("vec", false, 384, "m"));
        assertNull(dims.check("outer.inner", false, 384, "m"));
        assertNull(dims.check("not_mapped_yet", false, 384, "m"));
        assertEquals("target field [wide] has dimension [768] in the mapping, but model [m] gives [384]", dims.check("wide", false, 384, "m"));
        assertEquals("target field [title] is mapped as [text], not [knn_vector]", dims.check("title", false, 384, "m"));
        assertNull(dims.check("paras", true, 1792, "m"));
        assertEquals("target field [paras.vector] has dimension [1792] in the mapping, but model [m] gives [384]", dims.check("paras", true, 384, "m"));
        assertNull(VectorFieldMappings.fromMapping(Map.of()).check("vec", false, 384, "m"));
    }
}
