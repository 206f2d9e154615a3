package io.instructembed.transport.models;

import io.instructembed.transport.serving.NodePacks;

import io.instructembed.model.ModelStatus;
import io.instructembed.pack.PackDescription;
import io.instructembed.transport.NodesHeader;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.nodes.BaseNodesResponse;
import org.opensearch.cluster.ClusterName;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Packs as the coordinating node describes them, each with a {@code nodes} section holding every
 * node's load state. A single-model request answers with that model's object at the top level.
 */
public class GetModelsResponse extends BaseNodesResponse<GetModelsNodeResponse> implements ToXContentObject {
    private final List<Map<String, Object>> packs;
    private final boolean single;

    public GetModelsResponse(
        ClusterName clusterName,
        List<GetModelsNodeResponse> nodes,
        List<FailedNodeException> failures,
        List<Map<String, Object>> packs,
        boolean single
    ) {
        super(clusterName, nodes, failures);
        this.packs = packs;
        this.single = single;
    }

    @SuppressWarnings("unchecked")
    public GetModelsResponse(StreamInput in) throws IOException {
        super(in);
        packs = in.readList(i -> (Map<String, Object>) i.readGenericValue());
        single = in.readBoolean();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        super.writeTo(out);
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeCollection(packs, StreamOutput::writeGenericValue);
        out.writeBoolean(single);
    }

    /** The packs as {@link PackDescription} describes them (one for a single-model request). */
    public List<Map<String, Object>> packs() {
        return packs;
    }

    @Override
    protected List<GetModelsNodeResponse> readNodesFrom(StreamInput in) throws IOException {
        return in.readList(GetModelsNodeResponse::new);
    }

    @Override
    protected void writeNodesTo(StreamOutput out, List<GetModelsNodeResponse> nodes) throws IOException {
        out.writeList(nodes);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        if (single) {
            writePack(builder, packs.get(0));
            return builder;
        }
        builder.startObject();
        NodesHeader.write(builder, this);
        builder.startArray("models");
        for (Map<String, Object> pack : packs) {
            writePack(builder, pack);
        }
        builder.endArray();
        return builder.endObject();
    }

    private void writePack(XContentBuilder builder, Map<String, Object> pack) throws IOException {
        builder.startObject();
        for (Map.Entry<String, Object> field : pack.entrySet()) {
            builder.field(field.getKey(), field.getValue());
        }
        String id = (String) pack.get(PackDescription.MODEL_ID);
        builder.startObject("nodes");
        for (GetModelsNodeResponse node : getNodes()) {
            for (ModelStatus status : node.statuses()) {
                if (status.modelId().equals(id) == false) {
                    continue;
                }
                builder.startObject(node.getNode().getId());
                builder.field("name", node.getNode().getName());
                builder.field("state", status.state().jsonName());
                // what the node published of its files when it started (its node attributes)
                String identity = NodePacks.identities(node.getNode()).get(id);
                if (identity != null) {
                    builder.field("identity", identity);
                }
                if (status.device() != null) {
                    builder.field("device", status.device());
                }
                if (status.loadMillis() > 0) {
                    builder.field("load_ms", status.loadMillis());
                }
                if (status.error() != null) {
                    builder.field("error", status.error());
                }
                builder.endObject();
            }
        }
        builder.endObject();
        builder.endObject();
    }
}
