package io.instructembed.transport.embed;

import io.instructembed.limits.TextLimits;
import io.instructembed.model.EmbeddingService;
import io.instructembed.settings.InstructEmbedSettings;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/** Hands the texts to the local model service; answers when the inference pool is done. */
public class TransportEmbedAction extends HandledTransportAction<EmbedRequest, EmbedResponse> {
    private final EmbeddingService models;
    private volatile int maxTexts;
    private final ClusterService clusterService;

    @Inject
    public TransportEmbedAction(TransportService transportService, ActionFilters actionFilters, EmbeddingService models, ClusterService clusterService) {
        super(EmbedAction.NAME, transportService, actionFilters, EmbedRequest::new);
        this.models = models;
        this.maxTexts = InstructEmbedSettings.EMBED_MAX_TEXTS.get(clusterService.getSettings());
        this.clusterService = clusterService;
        clusterService.getClusterSettings().addSettingsUpdateConsumer(InstructEmbedSettings.EMBED_MAX_TEXTS, max -> maxTexts = max);
    }

    @Override
    protected void doExecute(Task task, EmbedRequest request, ActionListener<EmbedResponse> listener) {
        int maxTexts = this.maxTexts;
        if (request.texts().size() > maxTexts) {
            listener.onFailure(
                new IllegalArgumentException(
                    "[texts] has " + request.texts().size() + " texts, more than the " + maxTexts + " allowed per call ("
                        + InstructEmbedSettings.EMBED_MAX_TEXTS.getKey() + ")"
                )
            );
            return;
        }
        try {
            TextLimits.current(clusterService.getClusterSettings()).checkTexts("texts", request.texts());
        } catch (IllegalArgumentException e) {
            listener.onFailure(e);
            return;
        }
        long start = System.nanoTime();
        EmbeddingService.EmbedCall call = new EmbeddingService.EmbedCall(
            request.modelId(),
            request.texts(),
            request.inputType(),
            request.task(),
            request.instruction()
        );
        models.embed(call, ActionListener.wrap(embeddings -> {
            int dimensions = models.usablePack(request.modelId()).manifest().dimensions();
            listener.onResponse(new EmbedResponse(request.modelId(), dimensions, embeddings, (System.nanoTime() - start) / 1_000_000));
        }, listener::onFailure));
    }
}
