package io.instructembed.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Cuts one document call's work into model-service calls: consecutive documents, at most a given
 * number of texts per call, one document's texts always in one call (a document larger than the
 * limit goes alone). A big bulk so becomes several calls, and other work queued on the inference
 * pool (queries, smaller bulks) gets a turn between them.
 */
final class CallSplitter {
    /** Texts per call, at most (less when the call's share of the queue is smaller, see {@link #textsPerCall}). */
    static final int MAX_TEXTS_PER_CALL = 256;

    private CallSplitter() {}

    /** The texts one call may hold, with {@code queueShare} texts of the model's queue for the whole document call. */
    static int textsPerCall(int queueShare) {
        return Math.min(MAX_TEXTS_PER_CALL, queueShare);
    }

    /** Consecutive documents in calls of at most {@code maxTexts} texts (a larger document alone); no call for no documents. */
    static <T> List<List<T>> split(List<T> documents, ToIntFunction<T> size, int maxTexts) {
        List<List<T>> calls = new ArrayList<>();
        List<T> current = new ArrayList<>();
        int texts = 0;
        for (T document : documents) {
            int count = size.applyAsInt(document);
            if (current.isEmpty() == false && texts + count > maxTexts) {
                calls.add(current);
                current = new ArrayList<>();
                texts = 0;
            }
            current.add(document);
            texts += count;
        }
        if (current.isEmpty() == false) {
            calls.add(current);
        }
        return calls;
    }
}
