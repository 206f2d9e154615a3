package io.instructembed.limits;

import io.instructembed.writerule.TextDigest;

import io.instructembed.settings.InstructEmbedSettings;
import org.opensearch.common.settings.ClusterSettings;

import java.util.List;

/**
 * The text limits in force (dynamic cluster settings, read once per call), and the checks that
 * apply them. Every refusal is a 400 that names the field, the size and the setting to raise.
 */
public record TextLimits(int maxTextChars, int maxRequestChars, int maxDocumentChars, int maxTextsPerDocument) {

    public static TextLimits current(ClusterSettings settings) {
        return new TextLimits(
            settings.get(InstructEmbedSettings.MAX_TEXT_CHARS),
            settings.get(InstructEmbedSettings.MAX_REQUEST_CHARS),
            settings.get(InstructEmbedSettings.MAX_DOCUMENT_CHARS),
            settings.get(InstructEmbedSettings.MAX_TEXTS_PER_DOCUMENT)
        );
    }

    /**
     * Texts of one embedding call ({@code field} is the request's name for them, e.g. {@code texts}):
     * none empty or blank (it would embed as the special tokens alone), none over the per-text
     * limit, all together within the per-request limit.
     */
    public void checkTexts(String field, List<String> texts) {
        long total = 0;
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (TextDigest.blank(text)) {
                throw new IllegalArgumentException(
                    "[" + field + "][" + i + "] is " + (text.isEmpty() ? "empty" : "blank (only white space or invisible characters)")
                        + ": give text to embed"
                );
            }
            if (text.length() > maxTextChars) {
                throw new IllegalArgumentException(
                    "[" + field + "][" + i + "] has " + text.length() + " characters, over the limit of " + maxTextChars + " per text ("
                        + InstructEmbedSettings.MAX_TEXT_CHARS.getKey() + ")"
                );
            }
            total += text.length();
        }
        if (total > maxRequestChars) {
            throw new IllegalArgumentException(
                "[" + field + "] have " + total + " characters in all, over the limit of " + maxRequestChars + " per request ("
                    + InstructEmbedSettings.MAX_REQUEST_CHARS.getKey() + "): send them in several requests"
            );
        }
    }

    /** One text of a query, named {@code field} (e.g. {@code [instruct_knn] [query_text]}). */
    public void checkText(String field, String text) {
        if (text.length() > maxTextChars) {
            throw new IllegalArgumentException(
                field + " has " + text.length() + " characters, over the limit of " + maxTextChars + " per text ("
                    + InstructEmbedSettings.MAX_TEXT_CHARS.getKey() + ")"
            );
        }
    }

    /** The source texts one document gives to chunking, counted together; {@code fields} names them. */
    public void checkDocument(long chars, String fields) {
        if (chars > maxDocumentChars) {
            throw new IllegalArgumentException(
                "the document gives " + chars + " characters to chunk (" + fields + "), over the limit of " + maxDocumentChars
                    + " per document (" + InstructEmbedSettings.MAX_DOCUMENT_CHARS.getKey() + ")"
            );
        }
    }

    /** The texts one document gives to be embedded whole (not chunked), counted together; {@code fields} names them. */
    public void checkDocumentTexts(int texts, String fields) {
        if (texts > maxTextsPerDocument) {
            throw new IllegalArgumentException(
                "the document gives " + texts + " texts to embed (" + fields + "), over the limit of " + maxTextsPerDocument
                    + " per document (" + InstructEmbedSettings.MAX_TEXTS_PER_DOCUMENT.getKey() + "); raise the limit or split the document"
            );
        }
    }
}
