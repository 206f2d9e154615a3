package io.instructembed.transport.serving;

import org.opensearch.action.ActionType;

/** Each node's place in serving (role, whether it serves) and its traffic across the serving boundary. */
public final class ServingStatsAction extends ActionType<ServingStatsResponse> {
    public static final String NAME = "cluster:monitor/instruct_embed/serving";
    public static final ServingStatsAction INSTANCE = new ServingStatsAction();

    private ServingStatsAction() {
        super(NAME, ServingStatsResponse::new);
    }
}
