package io.instructembed.model;

import org.opensearch.core.common.breaker.CircuitBreaker;
import org.opensearch.core.common.breaker.CircuitBreakingException;
import org.opensearch.core.common.breaker.NoopCircuitBreaker;

/**
 * The plugin's memory accounting in OpenSearch's circuit breaker {@value #BREAKER}: the files of
 * each loaded model for as long as it is loaded, and the estimated activations of each inference
 * call while it runs. A reservation is checked and added in one atomic step, so two concurrent
 * loads cannot both pass; one over the limit trips it with OpenSearch's usual 429
 * ({@link CircuitBreakingException}), and it shows in {@code GET _nodes/stats/breaker}.
 */
public final class ModelMemory {
    public static final String BREAKER = "instruct_embed";
    /** Accounting without a limit, for code that runs outside a node (tests, tools). */
    public static final ModelMemory UNLIMITED = new ModelMemory(new NoopCircuitBreaker(BREAKER));

    /**
     * Bytes per padded token and hidden unit a transformer layer keeps alive at once: its input and
     * output, query/key/value and the 4x feed-forward expansion, in fp32. Attention scores are added
     * separately. Deliberately on the high side: the breaker should trip before ONNX Runtime's
     * allocator fails.
     */
    static final int ACTIVATION_FLOATS_PER_HIDDEN = 8;
    /** Hidden units per attention head in the packs we ship (BERT, Mistral and Llama families). */
    static final int HEAD_SIZE = 64;

    private final CircuitBreaker breaker;

    public ModelMemory(CircuitBreaker breaker) {
        this.breaker = breaker;
    }

    /**
     * Adds {@code bytes}, or trips the breaker (a {@link CircuitBreakingException}, 429, counted in
     * its stats) and adds nothing. Checked against this breaker's own limit only, under one lock:
     * the breaker's usual {@code addEstimateBytesAndMaybeBreak} would also hold these bytes against
     * the parent breaker's Java-heap limit, but models and activations live in ONNX Runtime's native
     * memory, not on the heap.
     */
    synchronized void reserve(long bytes, String label) {
        long limit = breaker.getLimit();
        long wanted = breaker.getUsed() + bytes;
        if (limit >= 0 && (long) (wanted * breaker.getOverhead()) > limit) {
            breaker.circuitBreak(label, wanted);
        }
        breaker.addWithoutBreaking(bytes);
    }

    void release(long bytes) {
        breaker.addWithoutBreaking(-bytes);
    }

    /** Bytes now reserved: loaded models plus running inference calls. */
    public long used() {
        return breaker.getUsed();
    }

    public long limit() {
        return breaker.getLimit();
    }

    /** Changes the limit (a dynamic setting); 0 in the setting means no limit. */
    public void setLimit(long bytes) {
        breaker.setLimitAndOverhead(limitOf(bytes), breaker.getOverhead());
    }

    /** The breaker's limit for a setting value: 0 (no limit) becomes the breaker's -1. */
    public static long limitOf(long settingBytes) {
        return settingBytes <= 0 ? -1 : settingBytes;
    }

    /**
     * Estimated activations of one inference call of {@code rows} texts padded to {@code longest}
     * tokens through a model whose hidden size is about its output dimensions (true of every shipped
     * pack): per token {@value #ACTIVATION_FLOATS_PER_HIDDEN} floats per hidden unit, plus the
     * attention scores (rows x heads x longest^2 floats).
     */
    static long activationBytes(int rows, int longest, int dimensions) {
        long tokens = (long) rows * longest;
        long heads = Math.max(1, dimensions / HEAD_SIZE);
        return Float.BYTES * (tokens * dimensions * ACTIVATION_FLOATS_PER_HIDDEN + tokens * longest * heads);
    }
}
