package io.instructembed.ingest;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.bulk.BulkAction;
import org.opensearch.action.bulk.BulkRequest;
import org.opensearch.action.support.ActionFilter;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.cluster.metadata.IndexAbstraction;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.tasks.Task;

/**
 * An action filter of bulk requests, which every write reaches (single-document writes, updates,
 * {@code _update_by_query} and {@code _reindex} all run as bulks): other actions pass untouched.
 */
abstract class BulkActionFilter implements ActionFilter {

    @Override
    public final <Request extends ActionRequest, Response extends ActionResponse> void apply(
        Task task,
        String action,
        Request request,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    ) {
        if (BulkAction.NAME.equals(action) && request instanceof BulkRequest bulk) {
            applyToBulk(task, action, bulk, request, listener, chain);
        } else {
            chain.proceed(task, action, request, listener);
        }
    }

    /** Handles a bulk ({@code bulk} is {@code request}); must proceed with the chain, or answer the listener, exactly once. */
    protected abstract <Request extends ActionRequest, Response extends ActionResponse> void applyToBulk(
        Task task,
        String action,
        BulkRequest bulk,
        Request request,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    );

    /** The index a write to {@code name} (an index, an alias or a data stream) lands in; null when it does not exist yet. */
    static IndexMetadata writeIndex(Metadata metadata, String name) {
        IndexAbstraction abstraction = name == null ? null : metadata.getIndicesLookup().get(name);
        if (abstraction == null || abstraction.getWriteIndex() == null) {
            return null;
        }
        return metadata.index(abstraction.getWriteIndex().getIndex());
    }
}
