package io.instructembed.transport.models;

import io.instructembed.model.ModelLifecycleService;
import io.instructembed.model.ModelStatus;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackDescription;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.tasks.Task;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import io.instructembed.transport.serving.RoutingEmbeddingService;
import io.instructembed.transport.serving.ServingDescription;

/** Fans out to the nodes for load states; describes the packs from this node's registry. */
public class TransportGetModelsAction extends TransportNodesAction<
    GetModelsRequest,
    GetModelsResponse,
    GetModelsNodeRequest,
    GetModelsNodeResponse> {

    private final ModelLifecycleService models;
    private final RoutingEmbeddingService router;

    @Inject
    public TransportGetModelsAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        ModelLifecycleService models,
        RoutingEmbeddingService router
    ) {
        super(
            GetModelsAction.NAME,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            GetModelsRequest::new,
            GetModelsNodeRequest::new,
            ThreadPool.Names.MANAGEMENT,
            GetModelsNodeResponse.class
        );
        this.models = models;
        this.router = router;
    }

    @Override
    protected void doExecute(Task task, GetModelsRequest request, ActionListener<GetModelsResponse> listener) {
        if (request.modelId() != null && models.packs().get(request.modelId()).isEmpty()) {
            listener.onFailure(new ResourceNotFoundException("model [{}] not found; models are {}", request.modelId(), models.packs().ids()));
            return;
        }
        super.doExecute(task, request, listener);
    }

    @Override
    protected GetModelsResponse newResponse(GetModelsRequest request, List<GetModelsNodeResponse> nodes, List<FailedNodeException> failures) {
        List<Map<String, Object>> packs = new ArrayList<>();
        for (ModelPack pack : models.packs().all()) {
            if (request.modelId() == null || request.modelId().equals(pack.id())) {
                Map<String, Object> described = new LinkedHashMap<>(PackDescription.describe(pack, models.packs().paths()));
                described.put("serving", ServingDescription.of(router.view(), pack.id()));
                packs.add(described);
            }
        }
        return new GetModelsResponse(clusterService.getClusterName(), nodes, failures, packs, request.modelId() != null);
    }

    @Override
    protected GetModelsNodeRequest newNodeRequest(GetModelsRequest request) {
        return new GetModelsNodeRequest(request.modelId());
    }

    @Override
    protected GetModelsNodeResponse newNodeResponse(StreamInput in) throws IOException {
        return new GetModelsNodeResponse(in);
    }

    @Override
    protected GetModelsNodeResponse nodeOperation(GetModelsNodeRequest request) {
        List<ModelStatus> statuses = new ArrayList<>();
        for (ModelStatus status : models.statuses()) {
            if (request.modelId() == null || request.modelId().equals(status.modelId())) {
                statuses.add(status);
            }
        }
        return new GetModelsNodeResponse(clusterService.localNode(), statuses);
    }
}
