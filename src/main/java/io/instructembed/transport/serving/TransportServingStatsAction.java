package io.instructembed.transport.serving;

import io.instructembed.transport.stats.StatsNodeRequest;
import io.instructembed.transport.stats.StatsRequest;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.io.IOException;
import java.util.List;

/** Collects each node's serving stats; the requests are the stats API's (which nodes, nothing else). */
public class TransportServingStatsAction extends TransportNodesAction<StatsRequest, ServingStatsResponse, StatsNodeRequest, ServingStatsNodeResponse> {
    private final RoutingEmbeddingService router;

    @Inject
    public TransportServingStatsAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        RoutingEmbeddingService router
    ) {
        super(
            ServingStatsAction.NAME,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            StatsRequest::new,
            StatsNodeRequest::new,
            ThreadPool.Names.MANAGEMENT,
            ServingStatsNodeResponse.class
        );
        this.router = router;
    }

    @Override
    protected ServingStatsResponse newResponse(StatsRequest request, List<ServingStatsNodeResponse> nodes, List<FailedNodeException> failures) {
        return new ServingStatsResponse(clusterService.getClusterName(), nodes, failures, router.view().requireRole());
    }

    @Override
    protected StatsNodeRequest newNodeRequest(StatsRequest request) {
        return new StatsNodeRequest();
    }

    @Override
    protected ServingStatsNodeResponse newNodeResponse(StreamInput in) throws IOException {
        return new ServingStatsNodeResponse(in);
    }

    @Override
    protected ServingStatsNodeResponse nodeOperation(StatsNodeRequest request) {
        ServingView view = router.view();
        List<String> served = router.packIds().stream().filter(view::servesLocally).toList();
        return new ServingStatsNodeResponse(clusterService.localNode(), view.localInPool(), served, router.counters().snapshot());
    }
}
