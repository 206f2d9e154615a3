package io.instructembed.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts texts into inference batches. Texts are sorted by length, and the sorted run is split where
 * it costs least: each batch costs its padded tokens (rows x longest row) plus a fixed overhead per
 * call, and no batch may exceed the padded-token budget or the row limit. Greedy filling would pad a
 * batch of short texts up to one long text; this split keeps long texts apart and still packs short
 * ones together.
 */
public final class BatchPlanner {
    /** The fixed cost of one ONNX Runtime call, in padded tokens: measured on bge-small, roughly. */
    static final int CALL_OVERHEAD_TOKENS = 32;

    private final int maxTokensPerBatch;
    private final int maxBatchSize;

    public BatchPlanner(int maxTokensPerBatch, int maxBatchSize) {
        if (maxTokensPerBatch < 1 || maxBatchSize < 1) {
            throw new IllegalArgumentException("batch limits must be positive");
        }
        this.maxTokensPerBatch = maxTokensPerBatch;
        this.maxBatchSize = maxBatchSize;
    }

    /** Returns batches as lists of indices into {@code lengths}; every index appears exactly once. */
    public List<int[]> plan(int[] lengths) {
        int n = lengths.length;
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = i;
        }
        Arrays.sort(boxed, Comparator.comparingInt((Integer i) -> lengths[i]).reversed());
        int[] order = Arrays.stream(boxed).mapToInt(Integer::intValue).toArray();

        // best[i]: least cost of batching the sorted texts from i to the end; cut[i]: where the
        // first of those batches ends. A batch starting at i is as long as its first (longest) text.
        long[] best = new long[n + 1];
        int[] cut = new int[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            int longest = Math.max(1, lengths[order[i]]);
            best[i] = Long.MAX_VALUE;
            for (int end = i + 1; end <= n && end - i <= maxBatchSize; end++) {
                long padded = (long) longest * (end - i);
                if (padded > maxTokensPerBatch && end > i + 1) {
                    break;  // a single text longer than the budget still gets a batch of its own
                }
                long cost = padded + CALL_OVERHEAD_TOKENS + best[end];
                if (cost < best[i]) {
                    best[i] = cost;
                    cut[i] = end;
                }
            }
        }
        List<int[]> batches = new ArrayList<>();
        for (int i = 0; i < n; i = cut[i]) {
            batches.add(Arrays.copyOfRange(order, i, cut[i]));
        }
        return batches;
    }
}
