package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingOptions;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an {@link InstructEmbeddingProcessor} is told to do, read once: from a pipeline's processor
 * config by {@link EmbeddingOptionsParser}, or from an {@code instruct_text} field's spec.
 *
 * @param modelId       the pack that embeds
 * @param fieldMap      source field to target field, in order
 * @param task          a task of the pack, or null for its document prompt
 * @param truncate      whether a text longer than the model takes is cut (else refused)
 * @param ignoreMissing whether a document without a source field passes
 * @param chunking      null when texts are embedded whole; else the options (its size resolved
 *                      against the pack once the pack is checked)
 * @param skipExisting  whether unchanged texts keep their stored vectors
 */
public record EmbeddingOptions(
    String modelId,
    Map<String, String> fieldMap,
    String task,
    boolean truncate,
    boolean ignoreMissing,
    ChunkingOptions chunking,
    boolean skipExisting
) {
    public EmbeddingOptions {
        fieldMap = Collections.unmodifiableMap(new LinkedHashMap<>(fieldMap));
    }

    /** These options with the chunking the pack check resolved. */
    EmbeddingOptions withChunking(ChunkingOptions resolved) {
        return new EmbeddingOptions(modelId, fieldMap, task, truncate, ignoreMissing, resolved, skipExisting);
    }
}
