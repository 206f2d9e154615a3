package io.instructembed.transport.serving;

import org.opensearch.common.inject.Inject;
import org.opensearch.common.lifecycle.AbstractLifecycleComponent;
import org.opensearch.transport.TransportService;

/**
 * Gives the router its way to other nodes. The transport service exists only inside the node's
 * injector, after the plugin's components are made, so this component (one of the plugin's
 * {@code getGuiceServiceClasses}) is built by the injector with both and connects them before the
 * node starts taking requests.
 */
public final class ServingWiring extends AbstractLifecycleComponent {

    @Inject
    public ServingWiring(TransportService transportService, RoutingEmbeddingService router) {
        router.connect(new ServingNodeClient(transportService));
    }

    @Override
    protected void doStart() {}

    @Override
    protected void doStop() {}

    @Override
    protected void doClose() {}
}
