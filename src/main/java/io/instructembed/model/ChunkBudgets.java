package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Tokens of source text one chunk may hold, per pack and task: the pack's max tokens less what its
 * document prompt (or a symmetric task's query prompt) and special tokens take, counted with the
 * pack's tokenizer. Pipeline factories and the {@code instruct_text} mapping checks need them, and
 * run on cluster-state threads (the ingest service builds pipelines while it applies a cluster
 * state; mapping transformers run in the cluster manager's create-index and put-mapping), where no
 * tokenizer may be loaded. So every available pack's budgets, for each of its tasks and for none,
 * are learnt once when the model service starts (node start may block), and those threads only
 * read them. A budget not learnt then (the tokenizer could not be read) is found on the model's
 * own thread when documents are chunked, with the loaded model's tokenizer. Bounded: one entry per
 * pack and task, a fixed set.
 */
final class ChunkBudgets {
    private static final Logger logger = LogManager.getLogger(ChunkBudgets.class);

    /** Opens a pack's tokenizer for the budgets (tests count the loads). */
    @FunctionalInterface
    interface TokenizerLoader {
        PackTokenizer load(ModelPack pack) throws IOException;
    }

    static final TokenizerLoader FROM_PACK_FILES = pack -> PackTokenizer.load(pack.tokenizerPath(), pack.manifest());

    private final ConcurrentHashMap<String, Integer> budgets = new ConcurrentHashMap<>();

    private ChunkBudgets() {}

    /** The budgets of every available pack, one tokenizer load per pack; a pack whose tokenizer fails is logged and left to later. */
    static ChunkBudgets learn(PackRegistry packs, TokenizerLoader loader) {
        ChunkBudgets known = new ChunkBudgets();
        for (ModelPack pack : packs.all()) {
            if (pack.state() != PackState.AVAILABLE) {
                continue;
            }
            try (PackTokenizer tokenizer = loader.load(pack)) {
                for (String task : tasksOf(pack)) {
                    known.of(pack, task, tokenizer::tokenize);
                }
            } catch (IOException | RuntimeException e) {
                logger.warn("cannot read the tokenizer of model pack [" + pack.id() + "] to size its chunks; they are sized when its documents are chunked", e);
            }
        }
        return known;
    }

    /** No task (the document prompt), then each of the pack's tasks. */
    private static List<String> tasksOf(ModelPack pack) {
        List<String> tasks = new ArrayList<>();
        tasks.add(null);
        tasks.addAll(pack.manifest().tasks().keySet());
        return tasks;
    }

    /** The budget if it is known; never reads a file. */
    OptionalInt known(ModelPack pack, String task) {
        Integer budget = budgets.get(key(pack, task));
        return budget == null ? OptionalInt.empty() : OptionalInt.of(budget);
    }

    /** The budget, counted with {@code tokenizer} the first time (on the model's thread when not learnt at start). */
    int of(ModelPack pack, String task, Function<String, TokenizedText> tokenizer) {
        return budgets.computeIfAbsent(key(pack, task), key -> {
            String prompt = pack.manifest().render(List.of(""), InputType.DOCUMENT, task, null).get(0);
            return Math.max(1, pack.manifest().maxTokens() - tokenizer.apply(prompt).length());
        });
    }

    private static String key(ModelPack pack, String task) {
        return pack.id() + '\u0000' + task;
    }
}
