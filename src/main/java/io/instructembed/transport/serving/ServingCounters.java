package io.instructembed.transport.serving;

import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One node's traffic across the serving boundary since it started: calls it ran for other nodes,
 * and calls it sent to other nodes (with their texts, the retries on another node, the failures,
 * and the time they spent outside the serving node: on the wire and in the transport's queues, a
 * round trip less what the serving node reported for itself).
 */
public final class ServingCounters {
    private final LongAdder servedCalls = new LongAdder();
    private final LongAdder servedTexts = new LongAdder();
    private final LongAdder sentCalls = new LongAdder();
    private final LongAdder sentTexts = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder roundTripNanos = new LongAdder();
    private final LongAdder wireNanos = new LongAdder();

    /** A call from another node, run here. */
    public void served(int texts) {
        servedCalls.increment();
        servedTexts.add(texts);
    }

    /** A call answered by another node: {@code roundTripNanos} as measured here, {@code servingNanos} as that node reported. */
    void answered(int texts, long roundTripNanos, long servingNanos) {
        sentCalls.increment();
        sentTexts.add(texts);
        this.roundTripNanos.add(roundTripNanos);
        wireNanos.add(Math.max(0, roundTripNanos - servingNanos));
    }

    /** A call sent again to another node, after the first could not be reached or left. */
    void retried() {
        retried.increment();
    }

    /** A call that failed on or on the way to another node (each try counts once). */
    void failed() {
        failed.increment();
    }

    public Snapshot snapshot() {
        return new Snapshot(
            servedCalls.sum(),
            servedTexts.sum(),
            sentCalls.sum(),
            sentTexts.sum(),
            retried.sum(),
            failed.sum(),
            roundTripNanos.sum(),
            wireNanos.sum()
        );
    }

    /** The counters at one moment, as they travel and show. */
    public record Snapshot(
        long servedCalls,
        long servedTexts,
        long sentCalls,
        long sentTexts,
        long retried,
        long failed,
        long roundTripNanos,
        long wireNanos
    ) implements Writeable, ToXContentFragment {

        public static Snapshot readFrom(StreamInput in) throws IOException {
            return new Snapshot(in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(),
                in.readVLong());
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeVLong(servedCalls);
            out.writeVLong(servedTexts);
            out.writeVLong(sentCalls);
            out.writeVLong(sentTexts);
            out.writeVLong(retried);
            out.writeVLong(failed);
            out.writeVLong(roundTripNanos);
            out.writeVLong(wireNanos);
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.startObject("served_for_other_nodes");
            builder.field("calls", servedCalls);
            builder.field("texts", servedTexts);
            builder.endObject();
            builder.startObject("sent_to_other_nodes");
            builder.field("calls", sentCalls);
            builder.field("texts", sentTexts);
            builder.field("retried", retried);
            builder.field("failed", failed);
            builder.field("round_trip_ms", TimeUnit.NANOSECONDS.toMillis(roundTripNanos));
            builder.field("wire_ms", TimeUnit.NANOSECONDS.toMillis(wireNanos));
            builder.field("wire_ms_per_call", sentCalls == 0 ? 0.0 : wireNanos / 1e6 / sentCalls);
            builder.endObject();
            return builder;
        }
    }
}
