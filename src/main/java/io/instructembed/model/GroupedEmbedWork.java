package io.instructembed.model;

import org.opensearch.core.action.ActionListener;

import java.util.List;

/**
 * Rendered texts to embed as one job in groups (one group per document), each group answered with
 * its own vectors or its own error: see {@link BatchScheduler#trySubmitGrouped}.
 */
record GroupedEmbedWork(List<List<String>> renderedGroups, WorkKind kind, ActionListener<List<BatchScheduler.GroupResult>> listener)
    implements
        ModelWork {

    @Override
    public int texts() {
        int texts = 0;
        for (List<String> group : renderedGroups) {
            texts += group.size();
        }
        return texts;
    }

    @Override
    public boolean offer(BatchScheduler scheduler) {
        return scheduler.trySubmitGrouped(renderedGroups, kind, listener);
    }

    @Override
    public void fail(Exception e) {
        listener.onFailure(e);
    }
}
