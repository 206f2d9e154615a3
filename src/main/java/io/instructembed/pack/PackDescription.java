package io.instructembed.pack;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A pack as users see it in {@code GET models}: plain maps, so it travels between nodes as is. */
public final class PackDescription {
    /** Keys that other views of the packs read back (GET models' node states, OpenAI's model list). */
    public static final String MODEL_ID = "model_id";
    public static final String STATE = "state";
    /** Epoch seconds: see {@link ModelPack#filesModified()}; available packs only. */
    public static final String FILES_MODIFIED = "files_modified";

    private PackDescription() {}

    public static Map<String, Object> describe(ModelPack pack, PackPaths paths) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(MODEL_ID, pack.id());
        out.put(STATE, pack.state().jsonName());
        PackManifest m = pack.manifest();
        if (m != null) {
            if (m.description() != null) {
                out.put("description", m.description());
            }
            out.put("dimensions", m.dimensions());
            out.put("max_tokens", m.maxTokens());
            out.put("pooling", m.pooling().jsonName());
            out.put("normalize", m.normalize());
            out.put("padding_side", m.paddingSide().jsonName());
            out.put("append_eos", m.appendEos());
            out.put("prompts", Map.of("document", m.prompts().document(), "query", m.prompts().query()));
            Map<String, Object> tasks = new LinkedHashMap<>();
            for (TaskSpec task : m.tasks().values()) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("instruction", task.instruction());
                t.put("symmetric", task.symmetric());
                if (task.description() != null) {
                    t.put("description", task.description());
                }
                tasks.put(task.name(), t);
            }
            out.put("tasks", tasks);
            out.put("default_task", m.defaultTask());
            out.put("license", m.license());
            out.put("source", m.source());
            out.put("weights_bundled", m.weightsBundled());
            out.put("files", m.requiredFiles());
        }
        if (pack.state() == PackState.AVAILABLE) {
            out.put(FILES_MODIFIED, pack.filesModified());
        }
        if (pack.state() == PackState.WEIGHTS_MISSING) {
            out.put("missing_files", pack.missingFiles());
            out.put("install_dir", paths.display(pack.installDir()));
            if (m.weightsHelp() != null) {
                out.put("how_to_get_weights", m.weightsHelp());
            }
        }
        if (pack.problems().isEmpty() == false) {
            out.put("problems", List.copyOf(pack.problems()));
        }
        return out;
    }
}
