package io.instructembed.transport.serving;

import io.instructembed.model.DocumentCall;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService;
import io.instructembed.model.LoadState;
import io.instructembed.model.ModelService;
import io.instructembed.model.QueryEmbeddingCache;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.ExceptionsHelper;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.cluster.ClusterChangedEvent;
import org.opensearch.cluster.ClusterStateListener;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.node.NodeClosedException;
import org.opensearch.transport.ConnectTransportException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The model service as every feature of this node sees it: runs a call on this node's models when
 * this node serves the pack, and otherwise sends it whole (a bulk's documents together) to one
 * serving node, the least loaded of those with the identity that serves the pack
 * ({@link ServingView}). A call whose node cannot be reached, left, or answered that it is
 * unavailable is sent once more to another serving node (embedding is idempotent); any other
 * answer, a 429 among them, comes back as it is. Query embeddings that other nodes made are cached
 * here, on the coordinating node, so a repeated query never leaves it.
 *
 * <p>Nothing here blocks: the view is swapped whole on cluster changes, sends are asynchronous,
 * and answers come on the generic pool ({@link ServingNodeClient}).
 */
public final class RoutingEmbeddingService implements EmbeddingService, ClusterStateListener {
    private static final Logger logger = LogManager.getLogger(RoutingEmbeddingService.class);

    private final ModelService local;
    private final ServingCounters counters;
    private final ServingLoads loads = new ServingLoads();
    private final Consumer<List<String>> preload;
    private final Consumer<String> unload;
    private final List<String> preloadIds;
    private final Map<String, String> servingIdentities = new ConcurrentHashMap<>();
    private volatile ServingNodeClient client;
    private volatile ServingView view = ServingView.EMPTY;
    private volatile boolean requireRole;
    private volatile boolean preloaded;

    /**
     * @param preloadIds the packs to load once this node turns out to serve them (the first cluster
     *                   state it joins says so), never on a node that does not
     * @param preload    starts loading packs on this node, without waiting for them
     * @param unload     starts unloading a pack on this node (off the calling thread: it waits for running work)
     */
    public RoutingEmbeddingService(
        ModelService local,
        ServingCounters counters,
        boolean requireRole,
        List<String> preloadIds,
        Consumer<List<String>> preload,
        Consumer<String> unload
    ) {
        this.local = local;
        this.counters = counters;
        this.requireRole = requireRole;
        this.preloadIds = List.copyOf(preloadIds);
        this.preload = preload;
        this.unload = unload;
    }

    /** Given once the node's transport service exists ({@link ServingWiring}). */
    void connect(ServingNodeClient client) {
        this.client = client;
    }

    /** {@code instruct_embed.serving.require_role}; the view follows at the cluster state that carries it. */
    public void setRequireRole(boolean requireRole) {
        this.requireRole = requireRole;
    }

    public ServingView view() {
        return view;
    }

    public ServingCounters counters() {
        return counters;
    }

    @Override
    public void clusterChanged(ClusterChangedEvent event) {
        ServingView previous = view;
        if (event.nodesChanged() == false && previous != ServingView.EMPTY && previous.requireRole() == requireRole) {
            return;
        }
        ServingView next = ServingView.of(event.state().nodes(), requireRole);
        view = next;
        if (event.nodesRemoved()) {
            loads.retain(event.state().nodes());
        }
        for (String packId : local.packIds()) {
            String identity = next.servingIdentity(packId);
            String before = identity == null ? servingIdentities.remove(packId) : servingIdentities.put(packId, identity);
            if (Objects.equals(before, identity) == false) {
                // cached query vectors came from the files that served until now
                local.queryCache().invalidate(packId);
                if (identity != null) {
                    logger.info("model [{}] is served by pack identity [{}] on {}", packId, identity, next.identitiesByName(packId).get(identity));
                }
            }
            if (next.identities(packId).size() > 1) {
                logger.warn(
                    "model [{}] has different files on the serving nodes (pack identity: nodes) {}; only identity [{}] serves it",
                    packId,
                    next.identitiesByName(packId),
                    identity
                );
            }
        }
        for (String packId : local.packIds()) {
            LoadState state = local.status(packId).state();
            if ((state == LoadState.LOADED || state == LoadState.LOADING) && next.servesLocally(packId) == false) {
                // no call comes here for it any more (a node with the role joined, require_role was set, or other files
                // serve it): free its memory; a node that started alone may have loaded it before the others joined
                logger.info("model [{}] is no longer served by this node: unloading it", packId);
                unload.accept(packId);
            }
        }
        if (preloaded == false && next.localInPool()) {
            preloaded = true;
            List<String> served = preloadIds.stream().filter(next::servesLocally).toList();
            if (served.isEmpty() == false) {
                preload.accept(served);
            }
        }
    }

    /** Where a call goes: this node, or the nodes of one identity. */
    private record Route(ModelPack pack, String identity, List<DiscoveryNode> servers) {
        boolean local() {
            return servers == null;
        }
    }

    /**
     * @param identity the identity the call must run on, or null for the one that serves the pack
     * @throws RuntimeException the 404, 400, 503 or 409 of a call that cannot run anywhere
     */
    private Route route(String modelId, String identity) {
        ServingView view = this.view;
        ModelPack pack = local.pack(modelId).orElse(null);
        if (pack == null || pack.manifest() == null) {
            local.usablePack(modelId);  // the 404 naming this node's packs, or the 400 naming the pack's problems
        }
        if (view.anyServer(modelId) == false) {
            if (view.roleNodesOnly()) {
                throw view.noServingNode(modelId);
            }
            return new Route(pack, pack.identity(), null);  // no node has its files: this node says what is missing
        }
        String wanted = identity != null ? identity : view.servingIdentity(modelId);
        if (view.servesLocally(modelId, wanted)) {
            return new Route(pack, wanted, null);
        }
        List<DiscoveryNode> servers = view.servers(modelId, wanted);
        if (servers.isEmpty()) {
            throw view.noServerOfIdentity(modelId, wanted);
        }
        return new Route(pack.servedAs(wanted), wanted, servers);
    }

    @Override
    public void embed(EmbedCall call, ActionListener<List<Embedding>> listener) {
        final Route route;
        final List<String> rendered;
        try {
            route = route(call.modelId(), call.packIdentity());
            if (route.local()) {
                local.embed(call, listener);
                return;
            }
            rendered = route.pack().manifest().render(call.texts(), call.inputType(), call.task(), call.instruction());
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        boolean query = call.inputType() == InputType.QUERY;
        QueryEmbeddingCache cache = local.queryCache();
        if (query) {
            List<Embedding> cached = new ArrayList<>(rendered.size());
            for (String text : rendered) {
                Embedding hit = cache.get(call.modelId(), text, true);
                if (hit == null) {
                    break;
                }
                cached.add(hit);
            }
            if (cached.size() == rendered.size()) {
                listener.onResponse(cached);  // a repeated query never leaves this node
                return;
            }
        }
        ActionListener<List<Embedding>> done = query == false ? listener : ActionListener.wrap(embeddings -> {
            for (int i = 0; i < rendered.size(); i++) {
                cache.put(call.modelId(), rendered.get(i), embeddings.get(i));
            }
            listener.onResponse(embeddings);
        }, listener::onFailure);
        EmbedCall routed = call.withPackIdentity(route.identity());
        send(route, call.texts().size(), (node, served) -> client().embed(node, routed, served), done, new HashSet<>());
    }

    @Override
    public void embedDocuments(DocumentCall call, ActionListener<List<DocumentResult>> listener) {
        if (call.textCount() == 0) {
            local.embedDocuments(call, listener);  // answered at once, without any model
            return;
        }
        final Route route;
        try {
            route = route(call.modelId(), call.packIdentity());
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        if (route.local()) {
            local.embedDocuments(call, listener);
            return;
        }
        DocumentCall routed = call.withPackIdentity(route.identity());
        send(route, call.textCount(), (node, served) -> client().embedDocuments(node, routed, served), listener, new HashSet<>());
    }

    /** Sends to the least loaded server not tried yet; once more to another when the node could not take it. */
    private <T> void send(
        Route route,
        int texts,
        BiConsumer<DiscoveryNode, ActionListener<Served<T>>> sender,
        ActionListener<T> listener,
        Set<String> tried
    ) {
        String packId = route.pack().id();
        DiscoveryNode node = loads.pick(route.servers(), packId, tried);
        if (node == null) {
            listener.onFailure(
                new OpenSearchStatusException(
                    "no other serving node of model [{}] (pack identity [{}]) to send the call to; tried {}",
                    RestStatus.SERVICE_UNAVAILABLE,
                    packId,
                    route.identity(),
                    tried
                )
            );
            return;
        }
        tried.add(node.getId());
        loads.sent(node, packId, texts);
        long started = System.nanoTime();
        sender.accept(node, new ActionListener<>() {
            @Override
            public void onResponse(Served<T> served) {
                loads.done(node, packId, texts, served.queuedTexts());
                counters.answered(texts, System.nanoTime() - started, served.servingNanos());
                listener.onResponse(served.results());
            }

            @Override
            public void onFailure(Exception e) {
                loads.done(node, packId, texts, -1);
                counters.failed();
                if (tried.size() == 1 && mayTakeElsewhere(e)) {
                    // the servers as the cluster has them now: the node that failed may have left it
                    List<DiscoveryNode> servers = view.servers(packId, route.identity());
                    logger.debug("model [{}]: serving node [{}] did not take a call ({}), sending it to another", packId, node.getName(), e.toString());
                    counters.retried();
                    send(new Route(route.pack(), route.identity(), servers), texts, sender, listener, tried);
                    return;
                }
                listener.onFailure(unreachable(e, packId, node));
            }
        });
    }

    /** The node left, could not be reached, or is closing: another node may well take the call. A 429 is not retried. */
    static boolean mayTakeElsewhere(Exception e) {
        if (ExceptionsHelper.unwrap(e, ConnectTransportException.class, NodeClosedException.class) != null) {
            return true;
        }
        return ExceptionsHelper.status(ExceptionsHelper.unwrapCause(e)) == RestStatus.SERVICE_UNAVAILABLE;
    }

    /** A failure to reach any serving node is a 503 that names the model and the node; the serving node's own answers pass as they are. */
    private static Exception unreachable(Exception e, String packId, DiscoveryNode node) {
        if (ExceptionsHelper.unwrap(e, ConnectTransportException.class, NodeClosedException.class) == null) {
            return e;
        }
        return new OpenSearchStatusException(
            "serving node [{}] of model [{}] could not be reached: {}",
            RestStatus.SERVICE_UNAVAILABLE,
            e,
            node.getName(),
            packId,
            e.getMessage()
        );
    }

    private ServingNodeClient client() {
        ServingNodeClient connected = client;
        if (connected == null) {
            throw new OpenSearchStatusException("the node is still starting: its transport is not up", RestStatus.SERVICE_UNAVAILABLE);
        }
        return connected;
    }

    @Override
    public OptionalInt knownChunkBudget(String modelId, String task) {
        return local.knownChunkBudget(modelId, task);
    }

    @Override
    public ModelPack usablePack(String modelId) {
        Route route = route(modelId, null);
        return route.local() ? local.usablePack(modelId) : route.pack();
    }

    @Override
    public Optional<ModelPack> pack(String modelId) {
        Optional<ModelPack> pack = local.pack(modelId);
        if (pack.isEmpty() || pack.get().manifest() == null) {
            return pack;
        }
        try {
            return Optional.of(route(modelId, null).pack());
        } catch (RuntimeException e) {
            return pack;  // nothing serves it: the call itself will say why
        }
    }

    @Override
    public Set<String> packIds() {
        return local.packIds();
    }

    @Override
    public Embedding cachedQuery(String modelId, String text, String task, String instruction) {
        Route route = route(modelId, null);
        if (route.local()) {
            return local.cachedQuery(modelId, text, task, instruction);
        }
        String rendered = route.pack().manifest().render(List.of(text), InputType.QUERY, task, instruction).get(0);
        return local.queryCache().get(modelId, rendered, false);
    }

    @Override
    public void countSkipExisting(String modelId, int reused, int embedded) {
        local.countSkipExisting(modelId, reused, embedded);
    }
}
