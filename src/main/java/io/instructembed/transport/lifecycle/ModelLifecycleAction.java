package io.instructembed.transport.lifecycle;

import org.opensearch.action.ActionType;

/** Loads or unloads a model on all nodes, or on the ones named. */
public final class ModelLifecycleAction extends ActionType<ModelLifecycleResponse> {
    public static final String NAME = "cluster:admin/instruct_embed/models/lifecycle";
    public static final ModelLifecycleAction INSTANCE = new ModelLifecycleAction();

    private ModelLifecycleAction() {
        super(NAME, ModelLifecycleResponse::new);
    }
}
