package io.instructembed.limits;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

/** The text limits name the field, the size and the setting to raise (issue #14, defects 3 and 6). */
public class TextLimitsTests extends OpenSearchTestCase {
    private final TextLimits limits = new TextLimits(10, 25, 40, 3);

    public void testTextsWithinTheLimitsPass() {
        limits.checkTexts("texts", List.of("0123456789", "0123456789", "abcde"));
        limits.checkText("[instruct_knn] [query_text]", "0123456789");
        limits.checkDocument(40, "field [body]: 40");
        limits.checkDocumentTexts(3, "field [tags]: 3");
    }

    public void testEmptyAndBlankTextsAreRefusedNamingTheirPlace() {
        assertEquals("[texts][1] is empty: give text to embed", expectThrows(IllegalArgumentException.class, () -> limits.checkTexts("texts", List.of("a", ""))).getMessage());
        assertEquals(
            "[texts][0] is blank (only white space or invisible characters): give text to embed",
            expectThrows(IllegalArgumentException.class, () -> limits.checkTexts("texts", List.of(" \n\t"))).getMessage()
        );
        // zero-width and no-break spaces, NUL, U+2060 and U+180E embed as the special tokens alone: blank too
        assertEquals(
            "[texts][0] is blank (only white space or invisible characters): give text to embed",
            expectThrows(IllegalArgumentException.class, () -> limits.checkTexts("texts", List.of("\u200b\u00a0\u0000\u2060\u180e"))).getMessage()
        );
    }

    public void testATextOverTheLimit() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> limits.checkTexts("texts", List.of("a", "01234567890")));
        assertEquals("[texts][1] has 11 characters, over the limit of 10 per text (instruct_embed.limits.max_text_chars)", e.getMessage());
        e = expectThrows(IllegalArgumentException.class, () -> limits.checkText("[instruct_knn] [query_text]", "01234567890"));
        assertEquals("[instruct_knn] [query_text] has 11 characters, over the limit of 10 per text (instruct_embed.limits.max_text_chars)", e.getMessage());
    }

    public void testARequestOverTheLimit() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> limits.checkTexts("texts", List.of("0123456789", "0123456789", "012345")));
        assertTrue(e.getMessage(), e.getMessage().startsWith("[texts] have 26 characters in all, over the limit of 25 per request (instruct_embed.limits.max_request_chars)"));
    }

    public void testADocumentOverTheLimit() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> limits.checkDocument(41, "field [body]: 41"));
        assertEquals("the document gives 41 characters to chunk (field [body]: 41), over the limit of 40 per document (instruct_embed.limits.max_document_chars)", e.getMessage());
    }

    public void testADocumentWithTooManyTextsToEmbedWhole() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> limits.checkDocumentTexts(4, "field [tags]: 3, field [title]: 1"));
        assertEquals(
            "the document gives 4 texts to embed (field [tags]: 3, field [title]: 1), over the limit of 3 per document "
                + "(instruct_embed.limits.max_texts_per_document); raise the limit or split the document",
            e.getMessage()
        );
    }
}
