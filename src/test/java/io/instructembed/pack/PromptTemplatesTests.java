package io.instructembed.pack;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

public class PromptTemplatesTests extends OpenSearchTestCase {

    private static final TaskSpec RETRIEVAL = new TaskSpec("retrieval", "Represent this sentence for searching relevant passages: ", false, null);
    private static final TaskSpec STS = new TaskSpec("sts", "Retrieve semantically similar text.", true, null);

    public void testBgeStyle() {
        PromptTemplates bge = new PromptTemplates("{text}", "{instruction}{text}");
        assertEquals("Represent this sentence for searching relevant passages: what is a cat", bge.render("what is a cat", InputType.QUERY, RETRIEVAL, null));
        assertEquals("a cat is a small animal", bge.render("a cat is a small animal", InputType.DOCUMENT, null, null));
        assertEquals("a cat", bge.render("a cat", InputType.DOCUMENT, RETRIEVAL, null));
        assertEquals("Find: a cat", bge.render("a cat", InputType.QUERY, RETRIEVAL, "Find: "));
    }

    public void testInstructionTemplateWithNewlineAndSymmetricTask() {
        PromptTemplates sfr = new PromptTemplates("{text}", "Instruct: {instruction}\nQuery: {text}");
        assertEquals("Instruct: Retrieve semantically similar text.\nQuery: two dogs", sfr.render("two dogs", InputType.QUERY, STS, null));
        // symmetric: the document side uses the query template too
        assertEquals("Instruct: Retrieve semantically similar text.\nQuery: two dogs", sfr.render("two dogs", InputType.DOCUMENT, STS, null));
        PromptTemplates sarashina = new PromptTemplates("text: {text}", "task: {instruction}\nquery: {text}");
        assertEquals("text: 東京", sarashina.render("東京", InputType.DOCUMENT, null, null));
    }

    public void testBracesInUserTextStayLiteral() {
        PromptTemplates t = new PromptTemplates("{text}", "Instruct: {instruction}\nQuery: {text}");
        assertEquals("Instruct: x {text}\nQuery: {instruction} and {text}", t.render("{instruction} and {text}", InputType.QUERY, RETRIEVAL, "x {text}"));
        assertEquals("{instruction}", t.render("{instruction}", InputType.DOCUMENT, null, null));
    }

    public void testManifestRenderValidatesTasksAndInstructions() throws Exception {
        PackManifest m = PackManifestParser.parse(PackManifestParserTests.json(PackManifestParserTests.VALID), "[tiny]");
        assertEquals(List.of("task: find passages\nquery: q"), m.render(List.of("q"), InputType.QUERY, null, null));
        assertEquals(List.of("text: d"), m.render(List.of("d"), InputType.DOCUMENT, null, null));
        assertEquals(List.of("text: d"), m.render(List.of("d"), InputType.DOCUMENT, "retrieval", null));
        assertEquals(List.of("task: same meaning\nquery: d"), m.render(List.of("d"), InputType.DOCUMENT, "sts", null));
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> m.render(List.of("q"), InputType.QUERY, "nope", null));
        assertEquals("[task] model [tiny] has no task [nope]; its tasks are [retrieval, sts]", e.getMessage());
        e = expectThrows(IllegalArgumentException.class, () -> m.render(List.of("d"), InputType.DOCUMENT, null, "do it"));
        assertTrue(e.getMessage().startsWith("[instruction] applies to input_type [query] only"));
    }
}
