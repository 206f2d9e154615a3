package io.instructembed.transport.serving;

import io.instructembed.model.ModelService;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/**
 * The serving side of {@link EmbedTextsOnNodeAction}: hands the call to this node's model service
 * and answers when it does, on its inference pool (or at once, for cached queries or a bad model,
 * task or instruction), so no transport thread waits on a model. A failure goes back as itself (a
 * 400 stays a 400, a full queue a 429, a closing service a 503).
 */
public class TransportEmbedTextsOnNodeAction extends HandledTransportAction<EmbedTextsOnNodeRequest, EmbedTextsOnNodeResponse> {
    // this node's own models, never the router: a call that reached a serving node runs here
    private final ModelService models;
    private final ServingCounters counters;

    @Inject
    public TransportEmbedTextsOnNodeAction(
        TransportService transportService,
        ActionFilters actionFilters,
        ModelService models,
        ServingCounters counters
    ) {
        super(EmbedTextsOnNodeAction.NAME, transportService, actionFilters, EmbedTextsOnNodeRequest::new);
        this.models = models;
        this.counters = counters;
    }

    @Override
    protected void doExecute(Task task, EmbedTextsOnNodeRequest request, ActionListener<EmbedTextsOnNodeResponse> listener) {
        long started = System.nanoTime();
        String modelId = request.call().modelId();
        counters.served(request.call().texts().size());
        models.embed(
            request.call(),
            ActionListener.wrap(
                embeddings -> listener.onResponse(new EmbedTextsOnNodeResponse(embeddings, models.queuedTexts(modelId), System.nanoTime() - started)),
                listener::onFailure
            )
        );
    }
}
