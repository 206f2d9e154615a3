package io.instructembed.field;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.mapping.VectorFieldMappings;

/**
 * One {@code instruct_text} field of a mapping, parsed once by {@link InstructTextSpecParser}, and
 * the names of the sub-fields that hold its vectors. Those live in a sibling object
 * {@code <field>_instruct} (added by {@link InstructTextMappingTransformer}): {@code <field>_instruct.chunks},
 * nested {@code {text, offsets, vector}} objects, when the field is chunked (the default), or
 * {@code <field>_instruct.vector}, one {@code knn_vector}, when {@code "chunking": false}.
 *
 * @param path         the field's full dotted path
 * @param modelId      the pack that embeds it
 * @param task         a symmetric task for the document side, or null
 * @param chunking     null when chunking is off; else the options as written, with {@code maxTokens}
 *                     still null when the pack decides it (resolved against the pack when the
 *                     field's processor is built)
 * @param vector       the k-NN method of the vector sub-field, defaults filled in
 * @param skipExisting whether unchanged texts keep their stored vectors
 * @param recordedPack the identity of the pack that writes its vectors, as its mapping records it
 *                     ({@link WrittenBy}); null for fields mapped without one
 */
public record InstructTextSpec(
    String path,
    String modelId,
    String task,
    ChunkingOptions chunking,
    VectorOptions vector,
    boolean skipExisting,
    String recordedPack
) {
    public static final String CONTENT_TYPE = "instruct_text";
    /** Suffix of the sibling object that holds a field's vectors. */
    public static final String SIBLING_SUFFIX = "_instruct";
    static final String CHUNKS = "chunks";

    InstructTextSpec withRecordedPack(String identity) {
        return new InstructTextSpec(path, modelId, task, chunking, vector, skipExisting, identity);
    }

    public boolean chunked() {
        return chunking != null;
    }

    /** The sibling's sub-field that holds the vectors: {@code chunks} or {@code vector} (its fingerprint is {@code <name>_fingerprint}). */
    String vectorsName() {
        return chunked() ? CHUNKS : VectorFieldMappings.ARRAY_VECTOR;
    }

    /** The sibling object's full path: {@code body_instruct} for {@code body}. */
    public String siblingPath() {
        return path + SIBLING_SUFFIX;
    }

    /**
     * Where the embedding processor writes: the nested chunk field, or the vector itself. An
     * {@code instruct_knn} query on the text field runs on this path.
     */
    public String target() {
        return siblingPath() + "." + vectorsName();
    }

    /** The full path of the knn_vector that holds the vectors (inside the nested chunks when chunked). */
    public String vectorPath() {
        return chunked() ? target() + "." + VectorFieldMappings.ARRAY_VECTOR : target();
    }
}
