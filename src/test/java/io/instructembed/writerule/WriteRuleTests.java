package io.instructembed.writerule;

import org.opensearch.test.OpenSearchTestCase;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The write rule's judgement of a source, and the source reading it rests on (dotted keys, blanks, arrays). */
public class WriteRuleTests extends OpenSearchTestCase {
    private static final CheckedField STRICT = new CheckedField("body", "body_instruct.chunks", "body_instruct.chunks_fingerprint", "body_instruct", true);
    private static final CheckedField LENIENT = new CheckedField("text", "vec", "vec_fingerprint", "vec", false);

    private static String fingerprint(List<String> texts, boolean array) {
        return "modelpart01" + TextDigest.SEPARATOR + TextDigest.of(texts, array);
    }

    private static Map<String, Object> instructText(Object text, Object chunks, Object fingerprint) {
        Map<String, Object> sibling = new HashMap<>();
        sibling.put("chunks", chunks);
        sibling.put("chunks_fingerprint", fingerprint);
        Map<String, Object> source = new HashMap<>();
        source.put("body", text);
        source.put("body_instruct", sibling);
        return source;
    }

    private static final List<Object> ONE_CHUNK = List.of(Map.of("text", "a", "vector", List.of(0.1f)));

    public void testTextAndItsOwnVectorsPass() {
        assertNull(WriteRuleFieldMapper.problem(instructText("a text", ONE_CHUNK, fingerprint(List.of("a text"), false)), STRICT));
        assertNull(WriteRuleFieldMapper.problem(instructText(List.of("a", " ", "b"), ONE_CHUNK, fingerprint(List.of("a", "b"), true)), STRICT));
    }

    public void testNoTextAndNoVectorsPass() {
        assertNull(WriteRuleFieldMapper.problem(new HashMap<>(), STRICT));
        assertNull(WriteRuleFieldMapper.problem(instructText(null, null, fingerprint(List.of(), false)), STRICT));
        assertNull(WriteRuleFieldMapper.problem(instructText("  \t", List.of(), null), STRICT));
    }

    public void testAChangedTextWithTheOldVectorsIsRefused() {
        String problem = WriteRuleFieldMapper.problem(instructText("a new text", ONE_CHUNK, fingerprint(List.of("the old text"), false)), STRICT);
        assertTrue(problem, problem.startsWith("field [body] has vectors of another text in [body_instruct]"));
        assertTrue(problem, problem.contains("_update_by_query"));
    }

    public void testARemovedTextWithItsVectorsIsRefused() {
        String problem = WriteRuleFieldMapper.problem(instructText(null, ONE_CHUNK, fingerprint(List.of("the old text"), false)), STRICT);
        assertTrue(problem, problem.startsWith("field [body] has no text, but [body_instruct] still holds vectors"));
        assertTrue(problem, problem.contains("ctx._source.remove('body_instruct')"));
    }

    public void testATextWithoutVectorsIsRefusedWhereFieldsAreAlwaysFingerprinted() {
        String problem = WriteRuleFieldMapper.problem(instructText("text added by a script", null, null), STRICT);
        assertTrue(problem, problem.startsWith("field [body] has no vectors in [body_instruct]"));
        // client vectors without a fingerprint
        assertNotNull(WriteRuleFieldMapper.problem(instructText("a text", ONE_CHUNK, null), STRICT));
        // an array and a lone string of the same text are different values
        assertNotNull(WriteRuleFieldMapper.problem(instructText(List.of("a text"), ONE_CHUNK, fingerprint(List.of("a text"), false)), STRICT));
    }

    public void testPipelineTargetsAreCheckedOnlyWhereAFingerprintIsStored() {
        Map<String, Object> legacy = new HashMap<>(Map.of("text", "a text", "vec", List.of(0.1f)));
        assertNull("vectors written before fingerprints were", WriteRuleFieldMapper.problem(legacy, LENIENT));
        Map<String, Object> addedLater = new HashMap<>(Map.of("text", "a text"));
        assertNull("documents indexed before the pipeline was set", WriteRuleFieldMapper.problem(addedLater, LENIENT));
        Map<String, Object> stale = new HashMap<>(Map.of("text", "new", "vec", List.of(0.1f), "vec_fingerprint", fingerprint(List.of("old"), false)));
        assertNotNull(WriteRuleFieldMapper.problem(stale, LENIENT));
        Map<String, Object> scriptedUpsert = new HashMap<>(Map.of("text", "new", "vec_fingerprint", fingerprint(List.of(), false)));
        assertTrue(WriteRuleFieldMapper.problem(scriptedUpsert, LENIENT).contains("has no vectors"));
        // a fingerprint of the older format (no text part) is not read
        Map<String, Object> oldFormat = new HashMap<>(Map.of("text", "new", "vec", List.of(0.1f), "vec_fingerprint", "AAAAAAAAAAAAAAAAAAAAAA"));
        assertNull(WriteRuleFieldMapper.problem(oldFormat, LENIENT));
    }

    public void testDottedKeysAreTheSamePath() {
        Map<String, Object> source = new HashMap<>();
        source.put("meta.summary", "dotted");
        source.put("meta", new HashMap<>(Map.of("summary_instruct", Map.of("chunks", ONE_CHUNK, "chunks_fingerprint", fingerprint(List.of("dotted"), false)))));
        CheckedField field = new CheckedField(
            "meta.summary",
            "meta.summary_instruct.chunks",
            "meta.summary_instruct.chunks_fingerprint",
            "meta.summary_instruct",
            true
        );
        assertNull(WriteRuleFieldMapper.problem(source, field));
        source.put("meta.summary", "changed");
        assertNotNull(WriteRuleFieldMapper.problem(source, field));
    }

    public void testSourceValuesFindAndRemoveEveryForm() {
        Map<String, Object> source = new HashMap<>();
        source.put("a.b", null);
        source.put("a", new HashMap<>(Map.of("b", "nested")));
        assertEquals(new SourceValues.Found(true, "nested"), SourceValues.find(source, "a.b"));
        assertEquals(new SourceValues.Found(false, null), SourceValues.find(source, "a.c"));
        assertTrue(SourceValues.find(Map.of(), "x").present() == false);
        assertTrue(SourceValues.remove(source, "a.b"));
        assertFalse(source.containsKey("a.b"));
        assertEquals(Map.of(), source.get("a"));
        assertFalse(SourceValues.remove(source, "a.b"));
        assertEquals(List.of("x", "y"), SourceValues.texts(List.of("x", 3, "y")));
        assertNull(SourceValues.texts(Map.of()));
    }

    public void testTextDigestIgnoresBlanksAndKnowsArrays() {
        assertEquals(TextDigest.of(List.of("a", "b"), true), TextDigest.of(List.of("a", "", "  ", "b"), true));
        assertNotEquals(TextDigest.of(List.of("a"), true), TextDigest.of(List.of("a"), false));
        assertNotEquals(TextDigest.of(List.of("ab"), true), TextDigest.of(List.of("a", "b"), true));
        assertFalse(TextDigest.hasText(List.of(" ", "\n")));
        assertFalse(TextDigest.hasText(null));
        assertNull(TextDigest.textPart("no-separator"));
        assertNull(TextDigest.textPart(42));
        assertEquals("tail", TextDigest.textPart("head.tail"));
    }

    public void testBlankIsARuleNotAList() {
        for (String invisible : List.of("", " \t\n", "\u00a0\u2007\u202f", "\u200b\u200c\u200d", "\u0000", "\u2060", "\u180e", "\ufeff",
            "\ufe0f", "\u3164", "\u00ad", "\u0085\u2028", "\udb40\udc20")) {
            assertTrue(invisible.codePoints().boxed().toList().toString(), TextDigest.blank(invisible));
        }
        for (String visible : List.of("a", " x ", "\u200bword", "\u4e2d", "\ud83d\ude00", "-", "\u0301")) {
            assertFalse(visible.codePoints().boxed().toList().toString(), TextDigest.blank(visible));
        }
    }
}
