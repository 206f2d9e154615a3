package io.instructembed.transport.models;

import org.opensearch.action.ActionType;

/** Lists packs with the load state of each on every node. */
public final class GetModelsAction extends ActionType<GetModelsResponse> {
    public static final String NAME = "cluster:monitor/instruct_embed/models/get";
    public static final GetModelsAction INSTANCE = new GetModelsAction();

    private GetModelsAction() {
        super(NAME, GetModelsResponse::new);
    }
}
