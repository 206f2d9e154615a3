package io.instructembed.transport.stats;

import io.instructembed.model.LoadState;
import io.instructembed.stats.ChunkingStats;
import io.instructembed.stats.ModelStats;
import io.instructembed.stats.SkipExistingStats;
import io.instructembed.support.WireRoundTrip;
import org.opensearch.action.FailedNodeException;
import org.opensearch.cluster.ClusterName;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.threadpool.ThreadPoolStats;

import java.io.IOException;
import java.util.List;

/** {@code GET stats}' requests and per-node answers survive the transport stream with random contents. */
public class StatsWireTests extends OpenSearchTestCase {

    static ModelStats randomModelStats() {
        return new ModelStats(
            randomAlphaOfLengthBetween(1, 30),
            randomFrom(LoadState.values()).jsonName(),
            randomBoolean() ? "cpu" : null,
            new ModelStats.Work(
                randomNonNegativeLong(),
                randomNonNegativeLong(),
                randomNonNegativeLong(),
                randomNonNegativeLong(),
                randomNonNegativeLong(),
                randomNonNegativeLong(),
                randomNonNegativeLong(),
                randomNonNegativeLong(),
                randomNonNegativeLong()
            ),
            new ModelStats.Health(randomIntBetween(0, Integer.MAX_VALUE), randomNonNegativeLong(), randomNonNegativeLong()),
            new ModelStats.Latency(randomDouble() * 1000, randomDouble() * 1000, randomDouble() * 1000, randomDouble() * 1000),
            new ModelStats.Cache(randomNonNegativeLong(), randomNonNegativeLong()),
            randomBoolean()
                ? ChunkingStats.NONE
                : new ChunkingStats(randomNonNegativeLong(), randomNonNegativeLong(), randomDouble() * 50, randomNonNegativeLong(), randomNonNegativeLong()),
            randomBoolean() ? SkipExistingStats.NONE : new SkipExistingStats(randomNonNegativeLong(), randomNonNegativeLong())
        );
    }

    private static StatsNodeResponse randomNodeResponse() {
        ThreadPoolStats.Stats pool = randomBoolean() ? null : randomPoolStats();
        // one entry per model, as a node reports them: two random ids alike would be one JSON key twice
        java.util.Map<String, ModelStats> models = new java.util.LinkedHashMap<>();
        for (ModelStats model : randomList(0, 4, StatsWireTests::randomModelStats)) {
            models.putIfAbsent(model.modelId(), model);
        }
        return new StatsNodeResponse(WireRoundTrip.randomNode(), List.copyOf(models.values()), pool);
    }

    /**
     * Random pool stats through whichever field constructor this OpenSearch version has (3.3 has
     * eight fields, 3.5 nine): the wire format is OpenSearch's own, only its contents matter here.
     */
    private static ThreadPoolStats.Stats randomPoolStats() {
        for (java.lang.reflect.Constructor<?> constructor : ThreadPoolStats.Stats.class.getConstructors()) {
            Class<?>[] types = constructor.getParameterTypes();
            if (types.length < 2 || types[0] != String.class) {
                continue;
            }
            Object[] args = new Object[types.length];
            args[0] = "instruct_embed_inference";
            for (int i = 1; i < types.length; i++) {
                args[i] = types[i] == long.class ? (Object) randomNonNegativeLong() : (Object) randomIntBetween(0, 256);
            }
            try {
                return (ThreadPoolStats.Stats) constructor.newInstance(args);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no field constructor on ThreadPoolStats.Stats");
    }

    public void testRequestRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            StatsRequest request = new StatsRequest(randomArray(0, 3, String[]::new, () -> randomAlphaOfLength(6)));
            assertArrayEquals(request.nodesIds(), WireRoundTrip.copy(request, StatsRequest::new).nodesIds());
            WireRoundTrip.copy(new StatsNodeRequest(), StatsNodeRequest::new);
        }
    }

    public void testNodeResponseRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            StatsNodeResponse node = randomNodeResponse();
            StatsNodeResponse copy = WireRoundTrip.copy(node, StatsNodeResponse::new);
            assertEquals(node.getNode(), copy.getNode());
            assertEquals(node.models(), copy.models());
            assertEquals(WireRoundTrip.json(node), WireRoundTrip.json(copy));
        }
    }

    public void testResponseRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            List<FailedNodeException> failures = randomList(0, 2, () -> new FailedNodeException(randomAlphaOfLength(8), "failed", new IllegalStateException("node gone")));
            StatsResponse response = new StatsResponse(new ClusterName(randomAlphaOfLength(8)), randomList(0, 3, StatsWireTests::randomNodeResponse), failures);
            StatsResponse copy = WireRoundTrip.copy(response, StatsResponse::new);
            assertEquals(WireRoundTrip.json(response), WireRoundTrip.json(copy));
        }
    }
}
