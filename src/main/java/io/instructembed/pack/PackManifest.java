package io.instructembed.pack;

import java.util.List;
import java.util.Map;

/**
 * What a model pack's {@code pack.json} says about its model, in named parts: the vectors it gives,
 * how its text is tokenised, its ONNX graph, its prompts and tasks, and where its weights come
 * from. Parsed and validated by {@link PackManifestParser}. The flat accessors below read through
 * to the parts, for callers that need one fact.
 */
public record PackManifest(String id, String description, Vectors vectors, Tokens tokens, Graph graph, Prompting prompting, Provenance provenance) {

    /** The vectors: their size, how token states are pooled into one, and whether it is normalised. */
    public record Vectors(int dimensions, Pooling pooling, boolean normalize) {}

    /** Tokenisation: the model's token limit, padding side, the EOS token appended (last-token pooling), the tokenizer file. */
    public record Tokens(int maxTokens, PaddingSide paddingSide, boolean appendEos, String eosToken, String tokenizerFile) {}

    /**
     * The ONNX graph.
     *
     * @param fp16ModelFile an optional fp16 graph (with its external data next to it), preferred on GPUs
     * @param inputs graph input names by role ({@code input_ids}, {@code attention_mask},
     *               {@code token_type_ids}, {@code position_ids}); absent roles are not fed
     */
    public record Graph(String modelFile, List<String> externalDataFiles, String fp16ModelFile, Map<String, String> inputs, String output) {}

    /** Prompt templates and the named tasks with their instructions. */
    public record Prompting(PromptTemplates prompts, Map<String, TaskSpec> tasks, String defaultTask) {}

    /** Licence, source, and whether the weights ship with the plugin (else how to get them). */
    public record Provenance(String license, String source, boolean weightsBundled, String weightsHelp) {}

    public int dimensions() {
        return vectors.dimensions();
    }

    public Pooling pooling() {
        return vectors.pooling();
    }

    public boolean normalize() {
        return vectors.normalize();
    }

    public int maxTokens() {
        return tokens.maxTokens();
    }

    public PaddingSide paddingSide() {
        return tokens.paddingSide();
    }

    public boolean appendEos() {
        return tokens.appendEos();
    }

    public String eosToken() {
        return tokens.eosToken();
    }

    public String tokenizerFile() {
        return tokens.tokenizerFile();
    }

    public String modelFile() {
        return graph.modelFile();
    }

    public List<String> externalDataFiles() {
        return graph.externalDataFiles();
    }

    public String fp16ModelFile() {
        return graph.fp16ModelFile();
    }

    public Map<String, String> inputs() {
        return graph.inputs();
    }

    public String output() {
        return graph.output();
    }

    public PromptTemplates prompts() {
        return prompting.prompts();
    }

    public Map<String, TaskSpec> tasks() {
        return prompting.tasks();
    }

    public String defaultTask() {
        return prompting.defaultTask();
    }

    public String license() {
        return provenance.license();
    }

    public String source() {
        return provenance.source();
    }

    public boolean weightsBundled() {
        return provenance.weightsBundled();
    }

    public String weightsHelp() {
        return provenance.weightsHelp();
    }

    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    public static final String POSITION_IDS = "position_ids";
    public static final List<String> INPUT_ROLES = List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS, POSITION_IDS);

    /** Every file the pack needs on disk: the graph, its external data and the tokenizer. */
    public List<String> requiredFiles() {
        java.util.ArrayList<String> files = new java.util.ArrayList<>();
        files.add(modelFile());
        files.addAll(externalDataFiles());
        files.add(tokenizerFile());
        return files;
    }

    /** Resolves a task name, or the default task when {@code name} is null. */
    public TaskSpec task(String name) {
        String wanted = name == null ? defaultTask() : name;
        TaskSpec task = tasks().get(wanted);
        if (task == null) {
            throw new IllegalArgumentException(
                "[task] model [" + id + "] has no task [" + wanted + "]; its tasks are " + tasks().keySet()
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
            rendered.add(prompts().render(text, type, task, instruction));
        }
        return rendered;
    }
}
