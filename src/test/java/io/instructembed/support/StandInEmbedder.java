package io.instructembed.support;

import ai.onnxruntime.OrtException;
import io.instructembed.model.RowEmbedder;
import io.instructembed.model.TokenizedText;

import java.util.ArrayList;
import java.util.List;

/**
 * A model in plain Java that fails the way ONNX Runtime does, on chosen inputs. Each row's vector
 * is the mean over its tokens of the stand-in graphs' function ({@link StandInModel}: a token's
 * hidden state from its id and position), normalised, so a row's vector depends on its own tokens
 * only, never on the batch it ran in. Like a graph whose embedding table is smaller than its
 * tokenizer's vocabulary, a call fails as ONNX Runtime's Gather does when a row holds a token id of
 * {@code vocabulary} or more; like ONNX Runtime's allocator, it fails a call whose padded tokens
 * (rows x longest row) exceed {@code maxPaddedTokens}; closed, it fails as a closed session does.
 */
public final class StandInEmbedder implements RowEmbedder {
    /** One call: how many rows it had, their padded length, and whether it gave vectors. */
    public record Call(int rows, int longest, boolean succeeded) {}

    private final int dimensions;
    private final long vocabulary;
    private final long maxPaddedTokens;
    private final List<Call> calls = new ArrayList<>();
    private volatile Runnable beforeEachCall = () -> {};
    private volatile boolean closed;

    public StandInEmbedder(int dimensions, long vocabulary, long maxPaddedTokens) {
        this.dimensions = dimensions;
        this.vocabulary = vocabulary;
        this.maxPaddedTokens = maxPaddedTokens;
    }

    /** Something that happens elsewhere while a call runs (an unload freeing the model, a shutdown). */
    public void beforeEachCall(Runnable action) {
        this.beforeEachCall = action;
    }

    @Override
    public float[][] embed(List<TokenizedText> rows) throws OrtException {
        beforeEachCall.run();
        int longest = 0;
        for (TokenizedText row : rows) {
            longest = Math.max(longest, row.length());
        }
        try {
            if (closed) {
                throw new IllegalStateException("Trying to score a closed OrtSession.");
            }
            if ((long) rows.size() * longest > maxPaddedTokens) {
                throw new OrtException(
                    OrtException.OrtErrorCode.ORT_RUNTIME_EXCEPTION,
                    "Failed to allocate memory for requested buffer of size " + 4L * rows.size() * longest * dimensions
                );
            }
            float[][] vectors = new float[rows.size()][];
            for (int r = 0; r < rows.size(); r++) {
                vectors[r] = vector(rows.get(r));
            }
            record(rows.size(), longest, true);
            return vectors;
        } catch (OrtException | RuntimeException e) {
            record(rows.size(), longest, false);
            throw e;
        }
    }

    private float[] vector(TokenizedText row) throws OrtException {
        double[] sum = new double[dimensions];
        for (int t = 0; t < row.length(); t++) {
            long id = row.ids()[t];
            if (id >= vocabulary) {
                throw new OrtException(
                    OrtException.OrtErrorCode.ORT_RUNTIME_EXCEPTION,
                    "Non-zero status code returned while running Gather node. Name:'/embeddings/word_embeddings/Gather' Status Message: "
                        + "indices element out of data bounds, idx=" + id + " must be within the inclusive range [-" + vocabulary + ","
                        + (vocabulary - 1) + "]"
                );
            }
            for (int d = 0; d < dimensions; d++) {
                sum[d] += Math.sin(0.37 * (id + 1) + 0.011 * (d + 1)) + 0.1 * Math.sin((double) t / (d + 1));
            }
        }
        double norm = 0;
        for (double value : sum) {
            norm += value * value;
        }
        float[] vector = new float[dimensions];
        for (int d = 0; d < dimensions; d++) {
            vector[d] = (float) (sum[d] / Math.sqrt(norm));
        }
        return vector;
    }

    private synchronized void record(int rows, int longest, boolean succeeded) {
        calls.add(new Call(rows, longest, succeeded));
    }

    /** Every call so far, in order. */
    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized void forgetCalls() {
        calls.clear();
    }

    @Override
    public void close() {
        closed = true;
    }
}
