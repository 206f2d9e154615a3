package io.instructembed.model;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.chunking.TextChunker;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts source texts into chunks that the model takes whole with its document prompt (or a
 * symmetric task's query prompt), counting tokens with the pack's own tokenizer. Runs on an
 * inference thread, with the loaded model: tokenising a long text is real work.
 */
final class DocumentChunker {
    private final ModelPack pack;
    private final String task;
    private final ChunkingOptions options;
    private final ChunkBudgets budgets;

    DocumentChunker(ModelPack pack, String task, ChunkingOptions options, ChunkBudgets budgets) {
        this.pack = pack;
        this.task = task;
        this.options = options;
        this.budgets = budgets;
    }

    /** Each text's chunks, in order; options too large for the pack fail (a bad-input reason). */
    List<List<TextChunker.Chunk>> cut(LoadedModel model, List<String> texts) {
        ChunkingOptions resolved = options.resolve(budgets.of(pack, task, model::tokenize), pack.id());
        List<List<TextChunker.Chunk>> chunks = new ArrayList<>(texts.size());
        for (String text : texts) {
            TextChunker.Fit fit = (start, end) -> model.tokenize(renderDocument(pack, text.substring(start, end), task)).truncated() == false;
            chunks.add(TextChunker.chunk(text, model.spans(text), resolved, fit));
        }
        return chunks;
    }

    /** A text with the document prompt of {@code task}; an unknown task fails (a bad-input reason). */
    static String renderDocument(ModelPack pack, String text, String task) {
        return pack.manifest().render(List.of(text), InputType.DOCUMENT, task, null).get(0);
    }
}
