package io.instructembed.model;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackManifest;
import io.instructembed.pack.PackState;

import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * Whether a model, a task and chunking options work on this node: what an {@code instruct_embedding}
 * processor is checked for when its pipeline is put, and an {@code instruct_text} field when its
 * mapping is written. Each caller names the options in its own words (a processor's and a field's
 * options are read by different parsers), so a refusal says which {@link Subject} failed and why.
 *
 * <p>Runs on cluster-state threads and never loads a file: the chunk budget is the one the model
 * service learnt with the pack's tokenizer at start. A pack whose budget is not known (its weights
 * are not installed, or its tokenizer could not be read at start) is checked against its max
 * tokens only; the exact check then runs when its documents are chunked, on the model's thread.
 */
public final class EmbeddableCheck {
    /** What a refusal is about. */
    public enum Subject {
        MODEL,
        TASK,
        CHUNKING
    }

    /** A refusal: the message is the reason, without the option's name (the caller adds it). */
    public static final class Refusal extends IllegalArgumentException {
        private final Subject subject;

        Refusal(Subject subject, String reason) {
            super(reason);
            this.subject = subject;
        }

        public Subject subject() {
            return subject;
        }
    }

    /**
     * What passed: the pack, and the chunking options with {@code maxTokens} resolved against the
     * pack when its budget is known (null when chunking is off). Resolved options also give the
     * fingerprint of skip_existing, so that naming the default size explicitly does not re-embed
     * everything.
     */
    public record Embeddable(ModelPack pack, ChunkingOptions chunking) {
        public PackManifest manifest() {
            return pack.manifest();
        }
    }

    private final Supplier<EmbeddingService> models;

    /** A supplier: the checks are made before the plugin's components exist. */
    public EmbeddableCheck(Supplier<EmbeddingService> models) {
        this.models = models;
    }

    /** This node's pack of that id, or null. */
    public ModelPack pack(String modelId) {
        return models.get().pack(modelId).orElse(null);
    }

    /**
     * @param task     null for the pack's document prompt
     * @param chunking null when texts are embedded whole
     * @throws Refusal naming what does not work
     */
    public Embeddable check(String modelId, String task, ChunkingOptions chunking) {
        EmbeddingService service = models.get();
        ModelPack pack = service.pack(modelId).orElse(null);
        if (pack == null) {
            throw new Refusal(Subject.MODEL, "model [" + modelId + "] not found; models are " + service.packIds());
        }
        PackManifest manifest = pack.manifest();
        if (manifest == null) {
            throw new Refusal(Subject.MODEL, "model [" + modelId + "] has an invalid pack: " + pack.problems());
        }
        if (task != null && manifest.tasks().containsKey(task) == false) {
            throw new Refusal(Subject.TASK, "model [" + modelId + "] has no task [" + task + "]; its tasks are " + manifest.tasks().keySet());
        }
        return new Embeddable(pack, chunking == null ? null : resolve(service, pack, task, chunking));
    }

    private static ChunkingOptions resolve(EmbeddingService service, ModelPack pack, String task, ChunkingOptions chunking) {
        try {
            OptionalInt budget = pack.state() == PackState.AVAILABLE ? service.knownChunkBudget(pack.id(), task) : OptionalInt.empty();
            if (budget.isPresent()) {
                return chunking.resolve(budget.getAsInt(), pack.id());
            }
            chunking.resolve(pack.manifest().maxTokens(), pack.id());
            return chunking;
        } catch (IllegalArgumentException e) {
            throw new Refusal(Subject.CHUNKING, e.getMessage());
        }
    }
}
