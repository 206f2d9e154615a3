package io.instructembed.transport.stats;

import io.instructembed.stats.ChunkingStats;
import io.instructembed.stats.ModelStats;
import io.instructembed.stats.SkipExistingStats;
import io.instructembed.model.ModelLifecycleService;
import io.instructembed.model.ModelStatus;
import io.instructembed.settings.InstructEmbedSettings;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.threadpool.ThreadPoolStats;
import org.opensearch.transport.TransportService;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Collects each node's model counters and inference-pool state. */
public class TransportStatsAction extends TransportNodesAction<StatsRequest, StatsResponse, StatsNodeRequest, StatsNodeResponse> {
    private final ModelLifecycleService models;

    @Inject
    public TransportStatsAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        ModelLifecycleService models
    ) {
        super(
            StatsAction.NAME,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            StatsRequest::new,
            StatsNodeRequest::new,
            ThreadPool.Names.MANAGEMENT,
            StatsNodeResponse.class
        );
        this.models = models;
    }

    @Override
    protected StatsResponse newResponse(StatsRequest request, List<StatsNodeResponse> nodes, List<FailedNodeException> failures) {
        return new StatsResponse(clusterService.getClusterName(), nodes, failures);
    }

    @Override
    protected StatsNodeRequest newNodeRequest(StatsRequest request) {
        return new StatsNodeRequest();
    }

    @Override
    protected StatsNodeResponse newNodeResponse(StreamInput in) throws IOException {
        return new StatsNodeResponse(in);
    }

    @Override
    protected StatsNodeResponse nodeOperation(StatsNodeRequest request) {
        List<ModelStats> stats = new ArrayList<>();
        for (ModelStatus status : models.statuses()) {
            stats.add(
                ModelStats.of(
                    status,
                    models.counters(status.modelId()),
                    models.queryCache(),
                    models.queuedTexts(status.modelId()),
                    ChunkingStats.of(models.ingestCountersIfAny(status.modelId())),
                    SkipExistingStats.of(models.ingestCountersIfAny(status.modelId()))
                )
            );
        }
        ThreadPoolStats.Stats pool = null;
        for (ThreadPoolStats.Stats candidate : threadPool.stats()) {
            if (InstructEmbedSettings.INFERENCE_POOL.equals(candidate.getName())) {
                pool = candidate;
            }
        }
        return new StatsNodeResponse(clusterService.localNode(), stats, pool);
    }
}
