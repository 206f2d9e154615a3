package io.instructembed.model;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.chunking.TextChunker;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import org.opensearch.core.action.ActionListener;

import java.util.List;
import java.util.OptionalInt;

/**
 * What the plugin's features (the ingest processor, the {@code instruct_knn} query, the
 * {@code _embed} action and so the OpenAI endpoint) ask of this node's models. They never see
 * sessions, schedulers or lifecycle states: a call is answered through its listener, loading the
 * model first when needed, and never runs inference on the caller's thread.
 */
public interface EmbeddingService {

    /** What to embed: texts of one model, one side, one task or instruction. */
    record EmbedCall(String modelId, List<String> texts, InputType inputType, String task, String instruction) {}

    /** Source texts of one model to cut into chunks, with the document-side task (null: the document prompt). */
    record ChunkCall(String modelId, List<String> texts, String task, ChunkingOptions chunking) {}

    /** Renders, tokenises and embeds; bad input (unknown model or task) fails at once, without queueing. */
    void embed(EmbedCall call, ActionListener<List<Embedding>> listener);

    /** Cuts each text into chunks that fit the model whole with its document prompt; answers with each text's chunks, in order. */
    void chunk(ChunkCall call, ActionListener<List<List<TextChunker.Chunk>>> listener);

    /**
     * Tokens of source text one chunk may hold after the document prompt (or a symmetric task's
     * query prompt), when known: learnt when the service starts, never by reading a file here.
     */
    OptionalInt knownChunkBudget(String modelId, String task);

    /** The pack, if it exists and has everything it needs to load; else a 404 or 400 naming why. */
    ModelPack usablePack(String modelId);

    /** The packs of this node, usable or not (for messages that list them). */
    PackRegistry packs();

    /** A query's cached embedding (counted as a hit), else null without counting a miss. */
    Embedding cachedQuery(String modelId, String text, String task, String instruction);

    /** The ingest totals (chunking, skip_existing) of a pack on this node. */
    IngestCounters ingestCounters(String modelId);
}
