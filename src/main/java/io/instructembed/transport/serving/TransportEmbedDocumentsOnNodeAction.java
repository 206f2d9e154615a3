package io.instructembed.transport.serving;

import io.instructembed.model.ModelService;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/**
 * The serving side of {@link EmbedDocumentsOnNodeAction}: hands the call to this node's model
 * service and answers when it does. It runs on the transport thread that received the request
 * only as far as queueing: the service answers on its inference pool (or at once, for a call with
 * nothing to embed or a bad model or task), so no transport thread waits on a model. A failure of
 * the whole call goes back as itself (a 400 stays a 400, a full queue a 429, a closing service a
 * 503); a document's own error travels inside its result.
 *
 * <p>A {@link HandledTransportAction} (registered in the plugin's {@code getActions}) rather than a
 * bare {@code registerRequestHandler}: the request passes the node's action filters (the security
 * plugin's among them, which is where the {@code internal:} name counts), gets a task, and the
 * handler gets the model service from the plugin's bindings. The caller picks the node and sends
 * with {@code TransportService.sendRequest} ({@link ServingNodeClient}), as core's single-shard
 * actions send to the node of the chosen shard.
 */
public class TransportEmbedDocumentsOnNodeAction extends HandledTransportAction<EmbedDocumentsOnNodeRequest, EmbedDocumentsOnNodeResponse> {
    // this node's own models, never the router: a call that reached a serving node runs here
    private final ModelService models;
    private final ServingCounters counters;

    @Inject
    public TransportEmbedDocumentsOnNodeAction(
        TransportService transportService,
        ActionFilters actionFilters,
        ModelService models,
        ServingCounters counters
    ) {
        super(EmbedDocumentsOnNodeAction.NAME, transportService, actionFilters, EmbedDocumentsOnNodeRequest::new);
        this.models = models;
        this.counters = counters;
    }

    @Override
    protected void doExecute(Task task, EmbedDocumentsOnNodeRequest request, ActionListener<EmbedDocumentsOnNodeResponse> listener) {
        long started = System.nanoTime();
        String modelId = request.call().modelId();
        counters.served(request.call().textCount());
        models.embedDocuments(
            request.call(),
            ActionListener.wrap(
                results -> listener.onResponse(new EmbedDocumentsOnNodeResponse(results, models.queuedTexts(modelId), System.nanoTime() - started)),
                listener::onFailure
            )
        );
    }
}
