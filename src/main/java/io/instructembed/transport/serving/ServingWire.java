package io.instructembed.transport.serving;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.chunking.TextChunker;
import io.instructembed.model.DocumentCall;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService.EmbedCall;
import io.instructembed.pack.InputType;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire forms of the model service's values that the serving actions carry: a
 * {@link DocumentCall} and its {@link DocumentResult}s, an {@link EmbedCall} and its
 * {@link Embedding}s. They live here, not in {@code model}, because {@code model} knows nothing of
 * transport; the values stay plain records.
 *
 * <p>The formats, in order of the fields (every count a vint; "optional" is a presence boolean
 * first, as {@code writeOptionalString} does):
 * <ul>
 *   <li>{@code DocumentCall}: model id, optional task, optional chunking options, max chunks per
 *       document (vint), truncate (boolean), documents; a document is its fields; a field is its
 *       name, whether it was an array (boolean) and its texts (string list); then the optional
 *       pack identity the call must run on.</li>
 *   <li>{@code ChunkingOptions}: method (enum ordinal: {@code TOKENS}, {@code SENTENCES}; a new
 *       method goes at the end), optional max tokens (vint), overlap tokens (vint).</li>
 *   <li>{@code DocumentResult}: whether it failed (boolean); then either the document's error
 *       ({@code writeException}: OpenSearch's own exceptions keep their class and status, others
 *       travel as a wrapper that keeps the message and status) or its texts, each its pieces, each
 *       optional chunk offsets (start and end, vints) and the embedding.</li>
 *   <li>{@code Embedding}: vector (float array), tokens (vint), truncated (boolean), as in
 *       {@code EmbedResponse}.</li>
 *   <li>{@code EmbedCall}: model id, texts (string list), input type (enum ordinal), optional
 *       task, optional instruction, as in {@code EmbedRequest}; then the optional pack identity.</li>
 * </ul>
 * These formats came after the baseline of {@link io.instructembed.wire.WireVersions}, with the
 * serving actions themselves: they only ever travel to a node that registered those actions, so
 * they need no version check of their own today. From their first release on they are fixed the
 * same way, and a field added later is written and read behind {@code WireVersions}.
 */
public final class ServingWire {
    private ServingWire() {}

    public static void writeDocumentCall(StreamOutput out, DocumentCall call) throws IOException {
        out.writeString(call.modelId());
        out.writeOptionalString(call.task());
        out.writeBoolean(call.chunking() != null);
        if (call.chunking() != null) {
            writeChunking(out, call.chunking());
        }
        out.writeVInt(call.maxChunksPerDocument());
        out.writeBoolean(call.truncate());
        out.writeVInt(call.documents().size());
        for (DocumentCall.Document document : call.documents()) {
            out.writeVInt(document.fields().size());
            for (DocumentCall.Field field : document.fields()) {
                out.writeString(field.name());
                out.writeBoolean(field.array());
                out.writeStringCollection(field.texts());
            }
        }
        out.writeOptionalString(call.packIdentity());
    }

    public static DocumentCall readDocumentCall(StreamInput in) throws IOException {
        String modelId = in.readString();
        String task = in.readOptionalString();
        ChunkingOptions chunking = in.readBoolean() ? readChunking(in) : null;
        int maxChunksPerDocument = in.readVInt();
        boolean truncate = in.readBoolean();
        int documentCount = in.readVInt();
        List<DocumentCall.Document> documents = new ArrayList<>(documentCount);
        for (int d = 0; d < documentCount; d++) {
            int fieldCount = in.readVInt();
            List<DocumentCall.Field> fields = new ArrayList<>(fieldCount);
            for (int f = 0; f < fieldCount; f++) {
                fields.add(new DocumentCall.Field(in.readString(), in.readBoolean(), in.readStringList()));
            }
            documents.add(new DocumentCall.Document(fields));
        }
        return new DocumentCall(modelId, task, chunking, maxChunksPerDocument, truncate, documents, in.readOptionalString());
    }

    public static void writeChunking(StreamOutput out, ChunkingOptions chunking) throws IOException {
        out.writeEnum(chunking.method());
        out.writeOptionalVInt(chunking.maxTokens());
        out.writeVInt(chunking.overlapTokens());
    }

    /** Reads options that the sender's own constructor accepted; the constructor checks them again here. */
    public static ChunkingOptions readChunking(StreamInput in) throws IOException {
        return new ChunkingOptions(in.readEnum(ChunkingMethod.class), in.readOptionalVInt(), in.readVInt());
    }

    public static void writeDocumentResults(StreamOutput out, List<DocumentResult> results) throws IOException {
        out.writeVInt(results.size());
        for (DocumentResult result : results) {
            writeDocumentResult(out, result);
        }
    }

    public static List<DocumentResult> readDocumentResults(StreamInput in) throws IOException {
        int count = in.readVInt();
        List<DocumentResult> results = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            results.add(readDocumentResult(in));
        }
        return results;
    }

    public static void writeDocumentResult(StreamOutput out, DocumentResult result) throws IOException {
        out.writeBoolean(result.failed());
        if (result.failed()) {
            out.writeException(result.failure());
            return;
        }
        out.writeVInt(result.texts().size());
        for (List<DocumentResult.Piece> pieces : result.texts()) {
            out.writeVInt(pieces.size());
            for (DocumentResult.Piece piece : pieces) {
                out.writeBoolean(piece.offsets() != null);
                if (piece.offsets() != null) {
                    out.writeVInt(piece.offsets().start());
                    out.writeVInt(piece.offsets().end());
                }
                writeEmbedding(out, piece.embedding());
            }
        }
    }

    public static DocumentResult readDocumentResult(StreamInput in) throws IOException {
        if (in.readBoolean()) {
            Exception failure = in.readException();
            return new DocumentResult(null, failure);
        }
        int textCount = in.readVInt();
        List<List<DocumentResult.Piece>> texts = new ArrayList<>(textCount);
        for (int t = 0; t < textCount; t++) {
            int pieceCount = in.readVInt();
            List<DocumentResult.Piece> pieces = new ArrayList<>(pieceCount);
            for (int p = 0; p < pieceCount; p++) {
                TextChunker.Chunk offsets = in.readBoolean() ? new TextChunker.Chunk(in.readVInt(), in.readVInt()) : null;
                pieces.add(new DocumentResult.Piece(offsets, readEmbedding(in)));
            }
            texts.add(pieces);
        }
        return new DocumentResult(texts, null);
    }

    public static void writeEmbeddings(StreamOutput out, List<Embedding> embeddings) throws IOException {
        out.writeVInt(embeddings.size());
        for (Embedding embedding : embeddings) {
            writeEmbedding(out, embedding);
        }
    }

    public static List<Embedding> readEmbeddings(StreamInput in) throws IOException {
        int count = in.readVInt();
        List<Embedding> embeddings = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            embeddings.add(readEmbedding(in));
        }
        return embeddings;
    }

    public static void writeEmbedding(StreamOutput out, Embedding embedding) throws IOException {
        out.writeFloatArray(embedding.vector());
        out.writeVInt(embedding.tokens());
        out.writeBoolean(embedding.truncated());
    }

    public static Embedding readEmbedding(StreamInput in) throws IOException {
        return new Embedding(in.readFloatArray(), in.readVInt(), in.readBoolean());
    }

    public static void writeEmbedCall(StreamOutput out, EmbedCall call) throws IOException {
        out.writeString(call.modelId());
        out.writeStringCollection(call.texts());
        out.writeEnum(call.inputType());
        out.writeOptionalString(call.task());
        out.writeOptionalString(call.instruction());
        out.writeOptionalString(call.packIdentity());
    }

    public static EmbedCall readEmbedCall(StreamInput in) throws IOException {
        return new EmbedCall(
            in.readString(),
            in.readStringList(),
            in.readEnum(InputType.class),
            in.readOptionalString(),
            in.readOptionalString(),
            in.readOptionalString()
        );
    }
}
