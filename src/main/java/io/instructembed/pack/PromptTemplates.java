package io.instructembed.pack;

/**
 * The document-side and query-side prompt templates of a pack. Templates use two placeholders:
 * {@code {text}} for the text and {@code {instruction}} for the task instruction (query side only).
 */
public record PromptTemplates(String document, String query) {

    public static final String TEXT = "{text}";
    public static final String INSTRUCTION = "{instruction}";

    /**
     * Renders the text a model actually sees.
     *
     * @param type        query or document side
     * @param task        the task, or null for the pack's default treatment of documents
     * @param instruction a free instruction that replaces the task's, or null
     */
    public String render(String text, InputType type, TaskSpec task, String instruction) {
        boolean useQueryTemplate = type == InputType.QUERY || (task != null && task.symmetric());
        if (useQueryTemplate == false) {
            return document.replace(TEXT, text);
        }
        String effectiveInstruction = instruction != null ? instruction : (task == null ? "" : task.instruction());
        // The text goes in last and unchanged, so braces inside a user's text or instruction are
        // never taken for placeholders.
        int at = query.indexOf(TEXT);
        String before = query.substring(0, at).replace(INSTRUCTION, effectiveInstruction);
        String after = query.substring(at + TEXT.length()).replace(INSTRUCTION, effectiveInstruction);
        return before + text + after;
    }
}
