package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import org.opensearch.core.action.ActionListener;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What the plugin's features (the ingest processor, the {@code instruct_knn} query, the
 * {@code _embed} action and so the OpenAI endpoint) ask of this node's models. They never see
 * sessions, schedulers or lifecycle states: a call is answered through its listener, loading the
 * model first when needed, and never runs inference on the caller's thread.
 */
public interface EmbeddingService {

    /**
     * What to embed: texts of one model, one side, one task or instruction; {@code packIdentity}
     * the files that must embed them (a 409 rather than others), or null for any.
     */
    record EmbedCall(String modelId, List<String> texts, InputType inputType, String task, String instruction, String packIdentity) {
        public EmbedCall(String modelId, List<String> texts, InputType inputType, String task, String instruction) {
            this(modelId, texts, inputType, task, instruction, null);
        }

        /** The same call, for files of that identity only. */
        public EmbedCall withPackIdentity(String identity) {
            return new EmbedCall(modelId, texts, inputType, task, instruction, identity);
        }
    }

    /** Renders, tokenises and embeds; bad input (unknown model or task) fails at once, without queueing. */
    void embed(EmbedCall call, ActionListener<List<Embedding>> listener);

    /**
     * Embeds the documents of one caller (an ingest batch), each text whole or cut into chunks that
     * the model takes whole: answers once, with one result per document in input order, each its
     * texts' pieces or that document's own error (over the chunk limit, a text too long with
     * truncate false, an inference failure that hit only its texts). The call is split, paced and
     * chunked here (see {@link DocumentCall}); one with no texts makes no model call and loads
     * nothing. {@code onFailure} only when the whole call is bad (unknown model or task).
     */
    void embedDocuments(DocumentCall call, ActionListener<List<DocumentResult>> listener);

    /**
     * Tokens of source text one chunk may hold after the document prompt (or a symmetric task's
     * query prompt), when known: learnt when the service starts, never by reading a file here.
     */
    OptionalInt knownChunkBudget(String modelId, String task);

    /** The pack, if it exists and has everything it needs to load; else a 404 or 400 naming why. */
    ModelPack usablePack(String modelId);

    /** This node's pack of that id, usable or not. */
    Optional<ModelPack> pack(String modelId);

    /** The ids of this node's packs, usable or not (for messages that list them). */
    Set<String> packIds();

    /** A query's cached embedding (counted as a hit), else null without counting a miss. */
    Embedding cachedQuery(String modelId, String text, String task, String instruction);

    /** Counts source texts of a processor with skip_existing: {@code reused} kept their stored vectors, {@code embedded} did not. */
    void countSkipExisting(String modelId, int reused, int embedded);
}
