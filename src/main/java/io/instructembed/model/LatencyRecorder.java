package io.instructembed.model;

import java.util.Arrays;

/**
 * Request latencies of one kind, kept in a fixed ring of the most recent samples, so percentiles
 * follow current load and memory stays bounded.
 */
final class LatencyRecorder {
    private final long[] micros;
    private int next;
    private int size;

    LatencyRecorder(int capacity) {
        this.micros = new long[capacity];
    }

    synchronized void record(long nanos) {
        micros[next] = nanos / 1000;
        next = (next + 1) % micros.length;
        size = Math.min(size + 1, micros.length);
    }

    /** Percentile in milliseconds over the recent samples; 0 when there are none. */
    synchronized double percentileMillis(double percentile) {
        if (size == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(micros, size);
        Arrays.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * size) - 1;
        return sorted[Math.max(0, Math.min(size - 1, index))] / 1000.0;
    }
}
