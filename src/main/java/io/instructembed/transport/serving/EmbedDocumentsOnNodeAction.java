package io.instructembed.transport.serving;

import org.opensearch.action.ActionType;

/**
 * Runs one {@link io.instructembed.model.DocumentCall} (an ingest batch's texts, together) on the
 * local model service of the node it is sent to, and answers with a result per document and that
 * node's queue for the model. Sent node to node by {@link ServingNodeClient}; no REST path.
 *
 * <p>Why the {@code internal:} prefix: it is what OpenSearch's own node-to-node actions use
 * ({@code internal:index/shard/recovery/...}, {@code internal:cluster/coordination/...}), and the
 * security plugin's {@code SecurityFilter} lets an action that starts with {@code internal:}
 * through without evaluating the user's privileges when the request comes from another node of
 * the cluster (or from the node itself over the transport service's direct channel). The user
 * whose bulk or search caused the call was already authorised on the node that received it; a
 * {@code cluster:admin/...} name would instead demand a permission for the serving call that no
 * role grants today. ml-commons and k-NN name their node requests {@code cluster:admin/...}
 * because users may call those actions themselves; nobody but a node calls this one.
 */
public final class EmbedDocumentsOnNodeAction extends ActionType<EmbedDocumentsOnNodeResponse> {
    public static final String NAME = "internal:instruct_embed/serving/embed_documents";
    public static final EmbedDocumentsOnNodeAction INSTANCE = new EmbedDocumentsOnNodeAction();

    private EmbedDocumentsOnNodeAction() {
        super(NAME, EmbedDocumentsOnNodeResponse::new);
    }
}
