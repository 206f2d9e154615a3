package io.instructembed.model;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.opensearch.ExceptionsHelper;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.rest.RestStatus;

/**
 * Counts one pack's failed work in its totals (a 429 as a rejection, a server-side failure as an
 * error) and logs the server-side ones: every entry point (_embed, v1/embeddings, instruct_knn,
 * ingest) goes through here, so none of them fails silently.
 */
final class FailureCounts {
    private static final Logger logger = LogManager.getLogger(FailureCounts.class);

    private final String modelId;
    private final ModelCounters totals;

    FailureCounts(String modelId, ModelCounters totals) {
        this.modelId = modelId;
        this.totals = totals;
    }

    /** Counts (and for a server-side failure logs) one failure of {@code what} (embedding, chunking, loading). */
    void count(String what, Exception e) {
        RestStatus status = ExceptionsHelper.status(e);
        if (status == RestStatus.TOO_MANY_REQUESTS) {
            totals.rejections.increment();
            logger.debug("{} with model [{}] was refused: {}", what, modelId, e.getMessage());
        } else if (status.getStatus() >= 500) {
            totals.errors.increment();
            // one line per failed call; the stack trace at debug (a failed load already logged its own)
            logger.warn("{} with model [{}] failed: {}", what, modelId, e.getMessage());
            logger.debug(() -> new ParameterizedMessage("{} with model [{}] failed", what, modelId), e);
        }
    }

    /** {@code listener}, with its failure counted first. */
    <T> ActionListener<T> counted(String what, ActionListener<T> listener) {
        return new ActionListener<>() {
            @Override
            public void onResponse(T response) {
                listener.onResponse(response);
            }

            @Override
            public void onFailure(Exception e) {
                count(what, e);
                listener.onFailure(e);
            }
        };
    }
}
