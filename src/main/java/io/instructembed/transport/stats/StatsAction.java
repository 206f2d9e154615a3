package io.instructembed.transport.stats;

import org.opensearch.action.ActionType;

/** Per node and model counters, and the inference pool's state. */
public final class StatsAction extends ActionType<StatsResponse> {
    public static final String NAME = "cluster:monitor/instruct_embed/stats";
    public static final StatsAction INSTANCE = new StatsAction();

    private StatsAction() {
        super(NAME, StatsResponse::new);
    }
}
