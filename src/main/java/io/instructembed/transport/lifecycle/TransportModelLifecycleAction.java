package io.instructembed.transport.lifecycle;

import io.instructembed.transport.serving.RoutingEmbeddingService;
import io.instructembed.transport.serving.ServingView;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.core.rest.RestStatus;
import java.util.ArrayList;

import org.opensearch.ExceptionsHelper;
import org.opensearch.ResourceNotFoundException;

import io.instructembed.model.ModelLifecycleService;
import io.instructembed.model.ModelStatus;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.tasks.Task;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fans a load or unload out to the nodes. Each node waits for its own load, or for its in-flight
 * work before unloading, on the generic pool, where waiting is allowed.
 */
public class TransportModelLifecycleAction extends TransportNodesAction<
    ModelLifecycleRequest,
    ModelLifecycleResponse,
    ModelLifecycleNodeRequest,
    ModelLifecycleNodeResponse> {

    /** Longest a node waits for a load, or for in-flight work before an unload. */
    static final long WAIT_MINUTES = 5;

    private final ModelLifecycleService models;
    private final RoutingEmbeddingService router;

    @Inject
    public TransportModelLifecycleAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        ModelLifecycleService models,
        RoutingEmbeddingService router
    ) {
        super(
            ModelLifecycleAction.NAME,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            ModelLifecycleRequest::new,
            ModelLifecycleNodeRequest::new,
            ThreadPool.Names.GENERIC,
            ModelLifecycleNodeResponse.class
        );
        this.models = models;
        this.router = router;
    }

    @Override
    protected void doExecute(Task task, ModelLifecycleRequest request, ActionListener<ModelLifecycleResponse> listener) {
        try {
            if (request.operation() == ModelLifecycleRequest.Operation.LOAD) {
                router.usablePack(request.modelId());  // 404 / 400, or the 503 of no serving node, before any node is asked
            } else if (models.packs().get(request.modelId()).isEmpty()) {
                models.usablePack(request.modelId());
            }
            String[] filters = request.nodesIds();
            if (filters != null && filters.length > 0 && clusterService.state().nodes().resolveNodes(filters).length == 0) {
                // OpenSearch's read-only nodes APIs answer an empty _nodes here; a load or unload that acts nowhere must say so
                throw new ResourceNotFoundException(
                    "no node matches [nodes] [" + String.join(",", filters) + "]: give node ids, names or roles, or leave [nodes] out"
                );
            }
            if (request.operation() == ModelLifecycleRequest.Operation.LOAD && loadingNodes(request, clusterService.state()).length == 0) {
                throw new OpenSearchStatusException(
                    "none of the nodes [{}] serves model [{}]: models load on their serving nodes only, which are {}",
                    RestStatus.BAD_REQUEST,
                    filters == null ? "_all" : String.join(",", filters),
                    request.modelId(),
                    servingNodeNames(request.modelId())
                );
            }
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        super.doExecute(task, request, listener);
    }

    /**
     * A load goes to the nodes that serve the model (with the identity that serves it), never to
     * one that would only hold it in memory; an unload goes to every node asked, so that a node
     * that no longer serves (its role or the setting changed) frees what it still holds.
     */
    @Override
    protected void resolveRequest(ModelLifecycleRequest request, ClusterState clusterState) {
        super.resolveRequest(request, clusterState);
        if (request.operation() == ModelLifecycleRequest.Operation.LOAD) {
            request.setConcreteNodes(loadingNodes(request, clusterState));
        }
    }

    private List<String> servingNodeNames(String modelId) {
        ServingView view = router.view();
        String identity = view.servingIdentity(modelId);
        return identity == null ? List.of() : view.servers(modelId, identity).stream().map(DiscoveryNode::getName).toList();
    }

    /** The nodes asked for (all by default) that serve the model; all of them while no node has its files (each then says why). */
    private DiscoveryNode[] loadingNodes(ModelLifecycleRequest request, ClusterState clusterState) {
        DiscoveryNodes nodes = clusterState.nodes();
        String[] filters = request.nodesIds();
        String[] ids = filters == null || filters.length == 0 ? nodes.getNodes().keySet().toArray(new String[0]) : nodes.resolveNodes(filters);
        ServingView view = router.view();
        String identity = view.servingIdentity(request.modelId());
        List<DiscoveryNode> servers = identity == null ? null : view.servers(request.modelId(), identity);
        List<DiscoveryNode> chosen = new ArrayList<>();
        for (String id : ids) {
            DiscoveryNode node = nodes.get(id);
            if (node != null && (servers == null ? view.roleNodesOnly() == false : servers.contains(node))) {
                chosen.add(node);
            }
        }
        return chosen.toArray(new DiscoveryNode[0]);
    }

    @Override
    protected ModelLifecycleResponse newResponse(
        ModelLifecycleRequest request,
        List<ModelLifecycleNodeResponse> nodes,
        List<FailedNodeException> failures
    ) {
        if (nodes.isEmpty() && failures.isEmpty() == false) {
            // every node refused: the request failed, with the status of why (a tripped breaker is a 429), not a 200
            Throwable cause = ExceptionsHelper.unwrapCause(failures.get(0).getCause() == null ? failures.get(0) : failures.get(0).getCause());
            throw cause instanceof RuntimeException runtime ? runtime : failures.get(0);
        }
        return new ModelLifecycleResponse(clusterService.getClusterName(), nodes, failures);
    }

    @Override
    protected ModelLifecycleNodeRequest newNodeRequest(ModelLifecycleRequest request) {
        return new ModelLifecycleNodeRequest(request.modelId(), request.operation());
    }

    @Override
    protected ModelLifecycleNodeResponse newNodeResponse(StreamInput in) throws IOException {
        return new ModelLifecycleNodeResponse(in);
    }

    @Override
    protected ModelLifecycleNodeResponse nodeOperation(ModelLifecycleNodeRequest request) {
        ModelStatus status;
        try {
            if (request.operation() == ModelLifecycleRequest.Operation.LOAD) {
                PlainActionFuture<ModelStatus> loaded = new PlainActionFuture<>();
                models.load(request.modelId(), loaded);
                status = loaded.actionGet(WAIT_MINUTES, TimeUnit.MINUTES);
            } else {
                status = models.unload(request.modelId(), WAIT_MINUTES, TimeUnit.MINUTES);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while changing model [" + request.modelId() + "]", e);
        }
        return new ModelLifecycleNodeResponse(clusterService.localNode(), status);
    }
}
