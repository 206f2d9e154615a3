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

/**
 * One model's work on one node since the node started (unloads and reloads keep the totals), in
 * named parts: what it computed, what went wrong or waits, how long calls took, the query cache.
 */
public record ModelStats(
    String modelId,
    String state,
    String device,
    Work work,
    Health health,
    Latency latency,
    Cache queryCache,
    ChunkingStats chunking,
    SkipExistingStats skipExisting
) implements Writeable, ToXContentFragment {

    /** What the model computed: calls by kind, texts, tokens (real and padded), batches, time in ONNX Runtime. */
    public record Work(
        long requests,
        long queryCalls,
        long documentCalls,
        long texts,
        long tokens,
        long paddedTokens,
        long batches,
        long truncated,
        long inferenceMillis
    ) {
        static Work of(ModelCounters c) {
            return new Work(
                c.requests.sum(),
                c.queryCalls.sum(),
                c.documentCalls.sum(),
                c.texts.sum(),
                c.tokens.sum(),
                c.paddedTokens.sum(),
                c.batches.sum(),
                c.truncated.sum(),
                c.inferenceNanos.sum() / 1_000_000
            );
        }

        static Work readFrom(StreamInput in) throws IOException {
            return new Work(in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(),
                in.readVLong(), in.readVLong());
        }

        void writeTo(StreamOutput out) throws IOException {
            for (long value : new long[] { requests, queryCalls, documentCalls, texts, tokens, paddedTokens, batches, truncated, inferenceMillis }) {
                out.writeVLong(value);
            }
        }

        /** Share of computed tokens that were real text rather than padding. */
        double batchFill() {
            return paddedTokens == 0 ? 0.0 : (double) tokens / paddedTokens;
        }
    }

    /** Texts waiting now, calls refused with 429, calls that failed on the server. */
    public record Health(long queuedTexts, long rejections, long errors) {
        static Health readFrom(StreamInput in) throws IOException {
            return new Health(in.readVLong(), in.readVLong(), in.readVLong());
        }

        void writeTo(StreamOutput out) throws IOException {
            out.writeVLong(queuedTexts);
            out.writeVLong(rejections);
            out.writeVLong(errors);
        }
    }

    /** End-to-end milliseconds per call (queue wait included), over the most recent calls. */
    public record Latency(double queryP50, double queryP99, double documentP50, double documentP99) {
        static Latency of(ModelCounters c) {
            return new Latency(
                c.latencyMillis(WorkKind.QUERY, 50),
                c.latencyMillis(WorkKind.QUERY, 99),
                c.latencyMillis(WorkKind.DOCUMENT, 50),
                c.latencyMillis(WorkKind.DOCUMENT, 99)
            );
        }

        static Latency readFrom(StreamInput in) throws IOException {
            return new Latency(in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble());
        }

        void writeTo(StreamOutput out) throws IOException {
            out.writeDouble(queryP50);
            out.writeDouble(queryP99);
            out.writeDouble(documentP50);
            out.writeDouble(documentP99);
        }
    }

    /** Query-cache hits and misses of this model. */
    public record Cache(long hits, long misses) {
        static Cache readFrom(StreamInput in) throws IOException {
            return new Cache(in.readVLong(), in.readVLong());
        }

        void writeTo(StreamOutput out) throws IOException {
            out.writeVLong(hits);
            out.writeVLong(misses);
        }
    }

    /** @param counters the pack's totals since the node started: unloads and reloads do not reset them */
    public static ModelStats of(
        ModelStatus status,
        ModelCounters counters,
        QueryEmbeddingCache cache,
        int queued,
        ChunkingStats chunking,
        SkipExistingStats skipExisting
    ) {
        return new ModelStats(
            status.modelId(),
            status.state().jsonName(),
            status.device(),
            Work.of(counters),
            new Health(queued, counters.rejections.sum(), counters.errors.sum()),
            Latency.of(counters),
            new Cache(cache.hits(status.modelId()), cache.misses(status.modelId())),
            chunking,
            skipExisting
        );
    }

    public static ModelStats readFrom(StreamInput in) throws IOException {
        return new ModelStats(
            in.readString(),
            in.readString(),
            in.readOptionalString(),
            Work.readFrom(in),
            Health.readFrom(in),
            Latency.readFrom(in),
            Cache.readFrom(in),
            ChunkingStats.readFrom(in),
            SkipExistingStats.readFrom(in)
        );
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeString(modelId);
        out.writeString(state);
        out.writeOptionalString(device);
        work.writeTo(out);
        health.writeTo(out);
        latency.writeTo(out);
        queryCache.writeTo(out);
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
        builder.field("requests", work.requests());
        builder.startObject("calls").field("query", work.queryCalls()).field("document", work.documentCalls()).endObject();
        builder.field("texts", work.texts());
        builder.field("tokens", work.tokens());
        builder.field("padded_tokens", work.paddedTokens());
        builder.field("batches", work.batches());
        builder.field("batch_fill", work.batchFill());
        builder.field("truncated", work.truncated());
        builder.field("errors", health.errors());
        builder.field("inference_time_ms", work.inferenceMillis());
        builder.startObject("query_cache").field("hits", queryCache.hits()).field("misses", queryCache.misses()).endObject();
        builder.field("queued_texts", health.queuedTexts());
        builder.field("rejections", health.rejections());
        builder.startObject("latency_ms");
        builder.startObject("query").field("p50", latency.queryP50()).field("p99", latency.queryP99()).endObject();
        builder.startObject("document").field("p50", latency.documentP50()).field("p99", latency.documentP99()).endObject();
        builder.endObject();
        chunking.toXContent(builder, params);
        skipExisting.toXContent(builder, params);
        return builder.endObject();
    }
}
