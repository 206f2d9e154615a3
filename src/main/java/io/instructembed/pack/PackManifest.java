package io.instructembed.pack;

import java.util.List;
import java.util.Map;

/**
 * What a model pack's {@code pack.json} says about its model: shapes, pooling, prompts, tasks and
 * the files it needs. Parsed and validated by {@link PackManifestParser}.
 *
 * @param fp16ModelFile an optional fp16 graph (with its external data next to it), preferred on GPUs
 * @param inputs graph input names by role ({@code input_ids}, {@code attention_mask},
 *               {@code token_type_ids}, {@code position_ids}); absent roles are not fed
 */
public record PackManifest(
    String id,
    String description,
    int dimensions,
    int maxTokens,
    Pooling pooling,
    boolean normalize,
    PaddingSide paddingSide,
    boolean appendEos,
    String eosToken,
    String modelFile,
    List<String> externalDataFiles,
    String fp16ModelFile,
    Map<String, String> inputs,
    String output,
    String tokenizerFile,
    PromptTemplates prompts,
    Map<String, TaskSpec> tasks,
    String defaultTask,
    String license,
    String source,
    boolean weightsBundled,
    String weightsHelp
) {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    public static final String POSITION_IDS = "position_ids";
    public static final List<String> INPUT_ROLES = List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS, POSITION_IDS);

    /** Every file the pack needs on disk: the graph, its external data and the tokenizer. */
    public List<String> requiredFiles() {
        java.util.ArrayList<String> files = new java.util.ArrayList<>();
        files.add(modelFile);
        files.addAll(externalDataFiles);
        files.add(tokenizerFile);
        return files;
    }

    /** Resolves a task name, or the default task when {@code name} is null. */
    public TaskSpec task(String name) {
        String wanted = name == null ? defaultTask : name;
        TaskSpec task = tasks.get(wanted);
        if (task == null) {
            throw new IllegalArgumentException(
                "[task] model [" + id + "] has no task [" + wanted + "]; its tasks are " + tasks.keySet()
            );
        }
        return task;
    }

    /**
     * Renders texts with the prompt this side and task call for. A free {@code instruction}
     * replaces the task's on the query side; documents take one only through a symmetric task.
     */
    public List<String> render(List<String> texts, InputType type, String taskName, String instruction) {
        if (type == InputType.DOCUMENT && instruction != null) {
            throw new IllegalArgumentException("[instruction] applies to input_type [query] only; documents are embedded with the pack's document prompt or a symmetric [task]");
        }
        TaskSpec task = (type == InputType.QUERY || taskName != null) ? task(taskName) : null;
        List<String> rendered = new java.util.ArrayList<>(texts.size());
        for (String text : texts) {
            rendered.add(prompts.render(text, type, task, instruction));
        }
        return rendered;
    }
}
