package io.instructembed.transport.embed;

import org.opensearch.action.ActionType;

/** Embeds texts with a model on the node that receives the request. */
public final class EmbedAction extends ActionType<EmbedResponse> {
    public static final String NAME = "cluster:admin/instruct_embed/embed";
    public static final EmbedAction INSTANCE = new EmbedAction();

    private EmbedAction() {
        super(NAME, EmbedResponse::new);
    }
}
