package io.instructembed.model;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of one pack's work on this node since the node started: they outlive unloads and
 * reloads. {@code errors} counts calls answered with a server-side failure (a failed load or
 * inference, a node shutting down); {@code rejections} counts calls refused with a 429 (full queue,
 * circuit breaker).
 */
public final class ModelCounters {
    public final LongAdder requests = new LongAdder();
    public final LongAdder texts = new LongAdder();
    public final LongAdder tokens = new LongAdder();
    public final LongAdder paddedTokens = new LongAdder();
    public final LongAdder batches = new LongAdder();
    public final LongAdder truncated = new LongAdder();
    public final LongAdder errors = new LongAdder();
    public final LongAdder inferenceNanos = new LongAdder();
    public final LongAdder rejections = new LongAdder();
    public final LongAdder queryCalls = new LongAdder();
    public final LongAdder documentCalls = new LongAdder();
    private final LatencyRecorder queryLatency = new LatencyRecorder(2048);
    private final LatencyRecorder documentLatency = new LatencyRecorder(2048);

    /** End-to-end latency of jobs (queue wait included) of one kind. */
    LatencyRecorder latency(WorkKind kind) {
        return kind == WorkKind.QUERY ? queryLatency : documentLatency;
    }

    public double latencyMillis(WorkKind kind, double percentile) {
        return latency(kind).percentileMillis(percentile);
    }
}
