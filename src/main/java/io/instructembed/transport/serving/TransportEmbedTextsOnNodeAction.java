package io.instructembed.transport.serving;

import io.instructembed.model.EmbeddingService;
import io.instructembed.model.ModelLifecycleService;
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
    private final EmbeddingService models;
    private final ModelLifecycleService lifecycle;

    @Inject
    public TransportEmbedTextsOnNodeAction(
        TransportService transportService,
        ActionFilters actionFilters,
        EmbeddingService models,
        ModelLifecycleService lifecycle
    ) {
        super(EmbedTextsOnNodeAction.NAME, transportService, actionFilters, EmbedTextsOnNodeRequest::new);
        this.models = models;
        this.lifecycle = lifecycle;
    }

    @Override
    protected void doExecute(Task task, EmbedTextsOnNodeRequest request, ActionListener<EmbedTextsOnNodeResponse> listener) {
        String modelId = request.call().modelId();
        models.embed(
            request.call(),
            ActionListener.wrap(
                embeddings -> listener.onResponse(new EmbedTextsOnNodeResponse(embeddings, lifecycle.queuedTexts(modelId))),
                listener::onFailure
            )
        );
    }
}
