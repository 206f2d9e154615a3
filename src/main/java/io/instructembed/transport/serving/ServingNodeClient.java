package io.instructembed.transport.serving;

import io.instructembed.model.DocumentCall;
import io.instructembed.model.DocumentResult;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService.EmbedCall;
import org.opensearch.action.ActionListenerResponseHandler;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.transport.TransportResponse;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.RemoteTransportException;
import org.opensearch.transport.TransportRequest;
import org.opensearch.transport.TransportService;

import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Sends the model service's two calls to one chosen node: {@code embedDocuments} (ingest) with
 * {@link EmbedDocumentsOnNodeAction} and {@code embed} (queries, {@code _embed}) with
 * {@link EmbedTextsOnNodeAction}, one request per call, and answers with the results and the
 * serving node's reported queue. Choosing the node (and retrying on another) is the caller's.
 *
 * <p>Always through the transport service, even to this node itself (its direct channel): the
 * serving actions are {@code internal:}, which the security plugin lets through only on a
 * node-to-node or direct request, never on a user's {@code client.execute}.
 *
 * <p>Failures: what the serving node answered arrives as that node's own exception, unwrapped from
 * the transport's {@link RemoteTransportException} (same class where OpenSearch knows it, same
 * status, same message: a 400 is a 400, a full queue a 429, a closing service a 503). A failure to
 * reach the node (it left, or never was connected) arrives as the transport's own exception (a
 * {@code ConnectTransportException}, {@code NodeDisconnectedException} or
 * {@code NodeNotConnectedException}, possibly inside a {@code SendRequestTransportException}),
 * which tells a router that another node may take the call. The listener runs on this node's
 * generic pool.
 */
public class ServingNodeClient {
    private final TransportService transportService;

    @Inject
    public ServingNodeClient(TransportService transportService) {
        this.transportService = transportService;
    }

    /** Runs the call on {@code node}'s model service; one result per document, in order, as there. */
    public void embedDocuments(DiscoveryNode node, DocumentCall call, ActionListener<Served<List<DocumentResult>>> listener) {
        send(
            node,
            EmbedDocumentsOnNodeAction.NAME,
            new EmbedDocumentsOnNodeRequest(call),
            EmbedDocumentsOnNodeResponse::new,
            EmbedDocumentsOnNodeResponse::results,
            EmbedDocumentsOnNodeResponse::queuedTexts,
            EmbedDocumentsOnNodeResponse::servingNanos,
            listener
        );
    }

    /** Runs the call on {@code node}'s model service; one embedding per text, in order. */
    public void embed(DiscoveryNode node, EmbedCall call, ActionListener<Served<List<Embedding>>> listener) {
        send(
            node,
            EmbedTextsOnNodeAction.NAME,
            new EmbedTextsOnNodeRequest(call),
            EmbedTextsOnNodeResponse::new,
            EmbedTextsOnNodeResponse::embeddings,
            EmbedTextsOnNodeResponse::queuedTexts,
            EmbedTextsOnNodeResponse::servingNanos,
            listener
        );
    }

    private <R extends TransportResponse, T> void send(
        DiscoveryNode node,
        String action,
        TransportRequest request,
        Writeable.Reader<R> reader,
        Function<R, T> results,
        ToIntFunction<R> queuedTexts,
        ToLongFunction<R> servingNanos,
        ActionListener<Served<T>> listener
    ) {
        ActionListener<R> answered = ActionListener.wrap(
            response -> listener.onResponse(
                new Served<>(node, results.apply(response), queuedTexts.applyAsInt(response), servingNanos.applyAsLong(response))
            ),
            e -> listener.onFailure(servingNodeFailure(e))
        );
        // answered on the generic pool: the caller goes on with its bulk or search there, never on a transport thread
        transportService.sendRequest(node, action, request, new ActionListenerResponseHandler<>(answered, reader, ThreadPool.Names.GENERIC));
    }

    /** The serving node's own exception when it answered with one; else the transport's, as it is. */
    static Exception servingNodeFailure(Exception e) {
        if (e instanceof RemoteTransportException && e.getCause() instanceof Exception cause) {
            return cause;
        }
        return e;
    }
}
