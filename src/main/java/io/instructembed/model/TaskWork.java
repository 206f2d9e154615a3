package io.instructembed.model;

import org.opensearch.common.CheckedFunction;
import org.opensearch.core.action.ActionListener;

/** Work on the loaded model outside a batch (chunking, or answering a load), run on the pool. */
record TaskWork<T>(int texts, CheckedFunction<LoadedModel, T, Exception> task, ActionListener<T> listener) implements ModelWork {
    @Override
    public boolean offer(BatchScheduler scheduler) {
        return scheduler.tryExecute(task, listener);
    }

    @Override
    public void fail(Exception e) {
        listener.onFailure(e);
    }
}
