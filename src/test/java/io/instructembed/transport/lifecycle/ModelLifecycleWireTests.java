package io.instructembed.transport.lifecycle;

import io.instructembed.model.LoadState;
import io.instructembed.model.ModelStatus;
import io.instructembed.support.WireRoundTrip;
import org.opensearch.action.FailedNodeException;
import org.opensearch.cluster.ClusterName;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Load and unload requests and their per-node answers survive the transport stream with random contents. */
public class ModelLifecycleWireTests extends OpenSearchTestCase {

    static ModelStatus randomStatus() {
        return new ModelStatus(
            randomAlphaOfLengthBetween(1, 30),
            randomFrom(LoadState.values()),
            randomBoolean() ? randomFrom("cpu", "cuda:" + randomIntBetween(0, 7)) : null,
            randomBoolean() ? randomUnicodeOfLengthBetween(0, 80) : null,
            randomNonNegativeLong()
        );
    }

    static List<FailedNodeException> randomFailures() {
        List<FailedNodeException> failures = new ArrayList<>();
        for (int i = randomIntBetween(0, 2); i > 0; i--) {
            failures.add(new FailedNodeException(randomAlphaOfLength(10), randomAlphaOfLength(12), new IllegalStateException(randomAlphaOfLength(15))));
        }
        return failures;
    }

    public void testRequestRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            String[] nodes = randomArray(0, 3, String[]::new, () -> randomAlphaOfLengthBetween(1, 10));
            ModelLifecycleRequest request = new ModelLifecycleRequest(
                randomAlphaOfLengthBetween(1, 30),
                randomFrom(ModelLifecycleRequest.Operation.values()),
                nodes
            );
            if (randomBoolean()) {
                request.timeout(TimeValue.timeValueSeconds(randomIntBetween(1, 600)));
            }
            ModelLifecycleRequest copy = WireRoundTrip.copy(request, ModelLifecycleRequest::new);
            assertEquals(request.modelId(), copy.modelId());
            assertEquals(request.operation(), copy.operation());
            assertArrayEquals(request.nodesIds(), copy.nodesIds());
            assertEquals(request.timeout(), copy.timeout());

            ModelLifecycleNodeRequest nodeRequest = new ModelLifecycleNodeRequest(request.modelId(), request.operation());
            ModelLifecycleNodeRequest nodeCopy = WireRoundTrip.copy(nodeRequest, ModelLifecycleNodeRequest::new);
            assertEquals(nodeRequest.modelId(), nodeCopy.modelId());
            assertEquals(nodeRequest.operation(), nodeCopy.operation());
        }
    }

    public void testResponseRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            List<ModelLifecycleNodeResponse> nodes = randomList(0, 3, () -> new ModelLifecycleNodeResponse(WireRoundTrip.randomNode(), randomStatus()));
            for (ModelLifecycleNodeResponse node : nodes) {
                ModelLifecycleNodeResponse copy = WireRoundTrip.copy(node, ModelLifecycleNodeResponse::new);
                assertEquals(node.getNode(), copy.getNode());
                assertEquals(node.status(), copy.status());
            }
            ModelLifecycleResponse response = new ModelLifecycleResponse(new ClusterName(randomAlphaOfLength(8)), nodes, randomFailures());
            ModelLifecycleResponse copy = WireRoundTrip.copy(response, ModelLifecycleResponse::new);
            assertEquals(response.getClusterName(), copy.getClusterName());
            assertEquals(response.failures().size(), copy.failures().size());
            for (int i = 0; i < nodes.size(); i++) {
                assertEquals(nodes.get(i).status(), copy.getNodes().get(i).status());
            }
            assertEquals(WireRoundTrip.json(response), WireRoundTrip.json(copy));
        }
    }
}
