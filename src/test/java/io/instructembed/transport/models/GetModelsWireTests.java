package io.instructembed.transport.models;

import io.instructembed.model.LoadState;
import io.instructembed.model.ModelStatus;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackDescription;
import io.instructembed.pack.PackPaths;
import io.instructembed.pack.PackRegistry;
import io.instructembed.support.StandInModel;
import io.instructembed.support.WireRoundTrip;
import org.opensearch.action.FailedNodeException;
import org.opensearch.cluster.ClusterName;
import org.opensearch.core.common.Strings;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code GET models}' requests and answers survive the transport stream. The packs are the real
 * descriptions of the bundled packs and of the test packs (one without weights, one broken), so
 * every kind of value a description holds travels.
 */
public class GetModelsWireTests extends OpenSearchTestCase {

    private static List<Map<String, Object>> realPackDescriptions() {
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        PackRegistry packs = PackRegistry.scan(StandInModel.packsDir(), bundled);
        PackPaths paths = new PackPaths(StandInModel.packsDir(), bundled);
        List<Map<String, Object>> described = new ArrayList<>();
        for (ModelPack pack : packs.all()) {
            described.add(PackDescription.describe(pack, paths));
        }
        return described;
    }

    private static ModelStatus randomStatus(String modelId) {
        return new ModelStatus(
            modelId,
            randomFrom(LoadState.values()),
            randomBoolean() ? "cpu" : null,
            randomBoolean() ? randomUnicodeOfLengthBetween(0, 80) : null,
            randomNonNegativeLong()
        );
    }

    public void testRequestRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            String model = randomBoolean() ? randomAlphaOfLengthBetween(1, 30) : null;
            GetModelsRequest request = new GetModelsRequest(model, randomArray(0, 3, String[]::new, () -> randomAlphaOfLength(6)));
            GetModelsRequest copy = WireRoundTrip.copy(request, GetModelsRequest::new);
            assertEquals(model, copy.modelId());
            assertArrayEquals(request.nodesIds(), copy.nodesIds());
            assertEquals(model, WireRoundTrip.copy(new GetModelsNodeRequest(model), GetModelsNodeRequest::new).modelId());
        }
    }

    public void testResponseRoundTrip() throws IOException {
        List<Map<String, Object>> described = realPackDescriptions();
        assertTrue("bundled and test packs: " + described.size(), described.size() >= 7);
        for (int run = 0; run < 20; run++) {
            List<Map<String, Object>> packs = randomSubsetOf(randomIntBetween(1, described.size()), described);
            List<GetModelsNodeResponse> nodes = new ArrayList<>();
            for (int n = randomIntBetween(0, 3); n > 0; n--) {
                List<ModelStatus> statuses = new ArrayList<>();
                for (Map<String, Object> pack : packs) {
                    statuses.add(randomStatus((String) pack.get("model_id")));
                }
                GetModelsNodeResponse node = new GetModelsNodeResponse(WireRoundTrip.randomNode(), statuses);
                assertEquals(statuses, WireRoundTrip.copy(node, GetModelsNodeResponse::new).statuses());
                nodes.add(node);
            }
            List<FailedNodeException> failures = randomList(0, 2, () -> new FailedNodeException(randomAlphaOfLength(8), "failed", new IllegalStateException("node gone")));
            boolean single = packs.size() == 1 && randomBoolean();
            GetModelsResponse response = new GetModelsResponse(new ClusterName(randomAlphaOfLength(8)), nodes, failures, packs, single);
            GetModelsResponse copy = WireRoundTrip.copy(response, GetModelsResponse::new);
            assertEquals(WireRoundTrip.json(response), WireRoundTrip.json(copy));
            // and in the same order: the packs' fields and tasks read as their manifests list them
            assertEquals(Strings.toString(MediaTypeRegistry.JSON, response), Strings.toString(MediaTypeRegistry.JSON, copy));
        }
    }
}
