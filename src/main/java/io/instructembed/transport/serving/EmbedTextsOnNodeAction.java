package io.instructembed.transport.serving;

import org.opensearch.action.ActionType;

/**
 * Runs one {@link io.instructembed.model.EmbeddingService.EmbedCall} (a query's text, or the texts
 * of an {@code _embed} call) on the local model service of the node it is sent to, and answers with
 * the embeddings and that node's queue for the model. Sent node to node by
 * {@link ServingNodeClient}; no REST path. The {@code internal:} prefix is explained on
 * {@link EmbedDocumentsOnNodeAction}.
 */
public final class EmbedTextsOnNodeAction extends ActionType<EmbedTextsOnNodeResponse> {
    public static final String NAME = "internal:instruct_embed/serving/embed_texts";
    public static final EmbedTextsOnNodeAction INSTANCE = new EmbedTextsOnNodeAction();

    private EmbedTextsOnNodeAction() {
        super(NAME, EmbedTextsOnNodeResponse::new);
    }
}
