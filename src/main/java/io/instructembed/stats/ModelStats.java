package io.instructembed.stats;

import io.instructembed.model.ModelCounters;
import io.instructembed.model.ModelStatus;
import io.instructembed.model.QueryEmbeddingCache;
import io.instructembed.model.WorkKind;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;

/** One model's work on one node since the node started (unloads and reloads keep the totals). */
public record ModelStats(
    String modelId,
    String state,
    String device,
    long requests,
    long texts,
    long tokens,
    long paddedTokens,
    long batches,
    long truncated,
    long errors,
    long inferenceMillis,
    long queryCacheHits,
    long queryCacheMisses,
    long queued,
    long rejections,
    double queryP50,
    double queryP99,
    double documentP50,
    double documentP99,
    long queryCalls,
    long documentCalls,
    ChunkingStats chunking,
    SkipExistingStats skipExisting
) implements Writeable, ToXContentFragment {

    /** @param c the pack's totals since the node started: unloads and reloads do not reset them */
    public static ModelStats of(ModelStatus status, ModelCounters c, QueryEmbeddingCache cache, int queued, ChunkingStats chunking, SkipExistingStats skipExisting) {
        long hits = cache.hits(status.modelId());
        long misses = cache.misses(status.modelId());
        return new ModelStats(
            status.modelId(),
            status.state().jsonName(),
            status.device(),
            c.requests.sum(),
            c.texts.sum(),
            c.tokens.sum(),
            c.paddedTokens.sum(),
            c.batches.sum(),
            c.truncated.sum(),
            c.errors.sum(),
            c.inferenceNanos.sum() / 1_000_000,
            hits,
            misses,
            queued,
            c.rejections.sum(),
            c.latencyMillis(WorkKind.QUERY, 50),
            c.latencyMillis(WorkKind.QUERY, 99),
            c.latencyMillis(WorkKind.DOCUMENT, 50),
            c.latencyMillis(WorkKind.DOCUMENT, 99),
            c.queryCalls.sum(),
            c.documentCalls.sum(),
            chunking,
            skipExisting
        );
    }

    public static ModelStats readFrom(StreamInput in) throws IOException {
        return new ModelStats(
            in.readString(),
            in.readString(),
            in.readOptionalString(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readVLong(),
            in.readDouble(),
            in.readDouble(),
            in.readDouble(),
            in.readDouble(),
            in.readVLong(),
            in.readVLong(),
            ChunkingStats.readFrom(in),
            SkipExistingStats.readFrom(in)
        );
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        out.writeString(modelId);
        out.writeString(state);
        out.writeOptionalString(device);
        out.writeVLong(requests);
        out.writeVLong(texts);
        out.writeVLong(tokens);
        out.writeVLong(paddedTokens);
        out.writeVLong(batches);
        out.writeVLong(truncated);
        out.writeVLong(errors);
        out.writeVLong(inferenceMillis);
        out.writeVLong(queryCacheHits);
        out.writeVLong(queryCacheMisses);
        out.writeVLong(queued);
        out.writeVLong(rejections);
        out.writeDouble(queryP50);
        out.writeDouble(queryP99);
        out.writeDouble(documentP50);
        out.writeDouble(documentP99);
        out.writeVLong(queryCalls);
        out.writeVLong(documentCalls);
        chunking.writeTo(out);
        skipExisting.writeTo(out);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(modelId);
        builder.field("state", state);
        if (device != null) {
            builder.field("device", device);
        }
        builder.field("requests", requests);
        builder.startObject("calls").field("query", queryCalls).field("document", documentCalls).endObject();
        builder.field("texts", texts);
        builder.field("tokens", tokens);
        builder.field("padded_tokens", paddedTokens);
        builder.field("batches", batches);
        // share of computed tokens that were real text rather than padding
        builder.field("batch_fill", paddedTokens == 0 ? 0.0 : (double) tokens / paddedTokens);
        builder.field("truncated", truncated);
        builder.field("errors", errors);
        builder.field("inference_time_ms", inferenceMillis);
        builder.startObject("query_cache").field("hits", queryCacheHits).field("misses", queryCacheMisses).endObject();
        builder.field("queued_texts", queued);
        builder.field("rejections", rejections);
        // end-to-end per call (queue wait included), over the most recent calls
        builder.startObject("latency_ms");
        builder.startObject("query").field("p50", queryP50).field("p99", queryP99).endObject();
        builder.startObject("document").field("p50", documentP50).field("p99", documentP99).endObject();
        builder.endObject();
        chunking.toXContent(builder, params);
        skipExisting.toXContent(builder, params);
        return builder.endObject();
    }
}
