package io.instructembed.mapping;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which model wrote each pipeline target of an index, recorded in the index mapping's
 * {@code _meta} on the first write: {@code {"instruct_embed": {"targets": {"vec": {"model_id":
 * "bge-small-en-v1.5", "pack": "<identity>"}}}}}. A pipeline redefined in place with another model
 * of the same dimension, or a pack whose files were replaced under the same id, would otherwise
 * mix two models' vectors in one field silently; with the record, writes and queries of another
 * model or other files are a 400 naming both until the index is re-embedded into a new one.
 */
public final class TargetRecords {
    static final String META = "instruct_embed";
    static final String TARGETS = "targets";
    static final String MODEL = "model_id";
    static final String PACK = "pack";

    private TargetRecords() {}

    /** What wrote a target: the pack id and its identity. */
    public record Written(String modelId, String pack) {}

    /** The record of {@code target} in a mapping's {@code _meta}, or null. */
    public static Written of(Map<String, Object> meta, String target) {
        if (meta != null && meta.get(META) instanceof Map<?, ?> ours && ours.get(TARGETS) instanceof Map<?, ?> targets
            && targets.get(target) instanceof Map<?, ?> record && record.get(MODEL) instanceof String model) {
            return new Written(model, record.get(PACK) instanceof String pack ? pack : null);
        }
        return null;
    }

    /** The {@code _meta} to put: the index's own, with {@code written} recorded for each of the targets. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> with(Map<String, Object> meta, Map<String, Written> written) {
        Map<String, Object> merged = new LinkedHashMap<>(meta == null ? Map.of() : meta);
        Map<String, Object> ours = new LinkedHashMap<>(merged.get(META) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
        Map<String, Object> targets = new LinkedHashMap<>(ours.get(TARGETS) instanceof Map<?, ?> t ? (Map<String, Object>) t : Map.of());
        written.forEach((target, record) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put(MODEL, record.modelId());
            if (record.pack() != null) {
                entry.put(PACK, record.pack());
            }
            targets.put(target, entry);
        });
        ours.put(TARGETS, targets);
        merged.put(META, ours);
        return merged;
    }

    /** Why {@code model} with pack identity {@code pack} must not write or query a target that {@code recorded} wrote, or null. */
    public static String problem(String index, String target, Written recorded, String model, String pack) {
        if (recorded == null) {
            return null;
        }
        boolean sameModel = recorded.modelId().equals(model);
        if (sameModel && (recorded.pack() == null || pack == null || recorded.pack().equals(pack))) {
            return null;
        }
        String was = "model [" + recorded.modelId() + "]" + (recorded.pack() == null ? "" : " (pack identity [" + recorded.pack() + "])");
        String now = "model [" + model + "]" + (pack == null ? "" : " (pack identity [" + pack + "])");
        return "field [" + target + "] of index [" + index + "] holds vectors of " + was + ", but this " + (sameModel ? "node's pack" : "one")
            + " is " + now + ": vectors of two models in one field do not compare. Keep the pipeline on the model that wrote it (and the same "
            + "pack files on every node), or re-embed the index into a new one with _reindex through the new pipeline";
    }
}
