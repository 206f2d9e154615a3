package io.instructembed.field;

import io.instructembed.pack.ModelPack;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The record, in an {@code instruct_text} field's mapping, of the pack that writes its vectors: the
 * {@code meta} of the sibling's fingerprint sub-field, {@code {"instruct_embed.model": <id>,
 * "instruct_embed.pack": <identity>}} (a mapping {@code meta} takes short strings only, hence the
 * 22-character identity). Made when the field is mapped, so one field's vectors all come from one
 * model and one set of files: a node whose pack of that id has other files refuses to write or
 * query the field (see {@link io.instructembed.pack.PackIdentity}).
 */
public final class WrittenBy {
    public static final String MODEL = "instruct_embed.model";
    public static final String PACK = "instruct_embed.pack";

    private WrittenBy() {}

    /** The record for a pack; without its identity while its files are not installed (it is then not checked). */
    static Map<String, String> of(ModelPack pack) {
        Map<String, String> record = new LinkedHashMap<>();
        record.put(MODEL, pack.id());
        if (pack.identity() != null) {
            record.put(PACK, pack.identity());
        }
        return record;
    }

    /**
     * Why this node must not write or query the field with its pack, or null when it may: the
     * field's mapping records another identity of the pack (other weights, tokenizer, prompts or
     * pooling under the same id), whose vectors would not be comparable with those stored.
     */
    public static String problem(InstructTextSpec field, ModelPack pack) {
        if (field.recordedPack() == null || pack == null || pack.identity() == null || field.recordedPack().equals(pack.identity())) {
            return null;
        }
        return "instruct_text field [" + field.path() + "] holds vectors of model [" + field.modelId() + "] with pack identity ["
            + field.recordedPack() + "], but this node's pack [" + pack.id() + "] has identity [" + pack.identity()
            + "] (its files or manifest differ), whose vectors would not match the stored ones: install the same pack files on every "
            + "node, or re-embed the field with the new files by reindexing into a new index (_reindex)";
    }

    /** The record in a sibling mapping that is being sent back (GET then PUT of a mapping), or null. */
    static Map<String, String> recordedIn(Object sibling, InstructTextSpec field) {
        if (sibling instanceof Map<?, ?> map && map.get("properties") instanceof Map<?, ?> properties) {
            if (properties.get(field.vectorsName() + "_fingerprint") instanceof Map<?, ?> fingerprint && fingerprint.get("meta") instanceof Map<?, ?> meta
                && meta.get(MODEL) != null) {
                Map<String, String> record = new LinkedHashMap<>();
                meta.forEach((k, v) -> record.put(String.valueOf(k), String.valueOf(v)));
                return record;
            }
        }
        return null;
    }
}
