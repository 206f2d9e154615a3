package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.pack.PackRegistry;
import org.opensearch.ExceptionsHelper;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.OpenSearchExecutors;
import org.opensearch.common.util.concurrent.ThreadContext;
import org.opensearch.core.common.breaker.CircuitBreaker;
import org.opensearch.core.common.breaker.CircuitBreakingException;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.indices.breaker.BreakerSettings;
import org.opensearch.indices.breaker.HierarchyCircuitBreakerService;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The instruct_embed circuit breaker (instruct_embed.memory.max_model_bytes): loads and inference
 * calls reserve and release their bytes, a load over the limit trips it with a 429, and two loads
 * at once cannot both pass. Uses OpenSearch's own breaker service, as a node does.
 */
public class ModelMemoryGuardTests extends OpenSearchTestCase {
    private static final String FP32 = "bge-small-en-v1.5";
    private static final String INT8 = "bge-small-en-v1.5-int8";

    private ExecutorService executor;
    private CircuitBreaker breaker;
    private ModelService service;

    private void start(long limitBytes) {
        NativeLibraries.configureDjl(Path.of(System.getProperty("java.io.tmpdir")));
        // parent breaker on estimates, not the test JVM's real heap, so only our limit can trip
        Settings settings = Settings.builder().put("indices.breaker.total.use_real_memory", false).build();
        HierarchyCircuitBreakerService breakers = new HierarchyCircuitBreakerService(
            settings,
            List.of(new BreakerSettings(ModelMemory.BREAKER, ModelMemory.limitOf(limitBytes), 1.0, CircuitBreaker.Type.MEMORY, CircuitBreaker.Durability.TRANSIENT)),
            new ClusterSettings(settings, ClusterSettings.BUILT_IN_CLUSTER_SETTINGS)
        );
        breaker = breakers.getBreaker(ModelMemory.BREAKER);
        executor = OpenSearchExecutors.newFixed("test-inference", 2, 64, OpenSearchExecutors.daemonThreadFactory("test-inference"), new ThreadContext(Settings.EMPTY));
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        InferenceConfig config = InferenceConfig.from(Settings.EMPTY);
        service = new ModelService(
            PackRegistry.scan(bundled.resolve("none"), bundled),
            executor,
            config,
            new SessionOpener(config, new OnnxRuntimeCuda(0, "kSameAsRequested")),
            DevicePlan.of("cpu", List.of()),
            new QueryEmbeddingCache(0),
            new ModelService.SchedulerConfig(2, 4096, 256),
            new ModelMemory(breaker)
        );
    }

    @Override
    public void tearDown() throws Exception {
        if (service != null) {
            service.close();
            executor.shutdown();
            assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
        }
        super.tearDown();
    }

    private static long bytesOf(String pack) throws Exception {
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        return Files.size(PackRegistry.scan(bundled.resolve("none"), bundled).get(pack).orElseThrow().modelPath());
    }

    private List<Embedding> embed(String model, String text) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        service.embed(new ModelService.EmbedCall(model, List.of(text), InputType.DOCUMENT, null, null), future);
        return future.actionGet(60, TimeUnit.SECONDS);
    }

    private ModelStatus load(String model) {
        PlainActionFuture<ModelStatus> future = new PlainActionFuture<>();
        service.load(model, future);
        return future.actionGet(60, TimeUnit.SECONDS);
    }

    public void testALoadOverTheLimitTripsTheBreakerWith429AndUnloadingMakesRoom() throws Exception {
        // the fp32 graph is 133 MB, the int8 one 34 MB: 150 MB holds one of them, not both
        start(150L << 20);
        assertEquals(384, embed(FP32, "x").get(0).vector().length);
        assertEquals("the loaded model is held, the finished batch released", bytesOf(FP32), breaker.getUsed());

        Exception e = expectThrows(Exception.class, () -> embed(INT8, "x"));
        CircuitBreakingException trip = (CircuitBreakingException) ExceptionsHelper.unwrap(e, CircuitBreakingException.class);
        assertNotNull(e.toString(), trip);
        assertEquals(RestStatus.TOO_MANY_REQUESTS, trip.status());
        assertTrue(trip.getMessage(), trip.getMessage().startsWith("[instruct_embed] Data too large, data for [model [bge-small-en-v1.5-int8]]"));
        assertTrue(trip.getMessage(), trip.getMessage().contains("loaded models: [bge-small-en-v1.5]"));
        assertEquals(1, breaker.getTrippedCount());
        assertEquals(LoadState.NOT_LOADED, service.status(INT8).state());
        assertEquals("a refused load says why", trip.getMessage(), service.status(INT8).error());
        assertEquals(1, service.counters(INT8).rejections.sum());
        assertEquals(0, service.counters(INT8).errors.sum());
        assertEquals("a refused load reserves nothing", bytesOf(FP32), breaker.getUsed());

        service.unload(FP32, 10, TimeUnit.SECONDS);
        assertEquals(0, breaker.getUsed());
        assertEquals(384, embed(INT8, "x").get(0).vector().length);
        assertEquals(bytesOf(INT8), breaker.getUsed());
    }

    public void testTwoConcurrentLoadsCannotBothPass() throws Exception {
        // room for the fp32 model or the int8 one, not both: whichever reserves first wins
        start(bytesOf(FP32) + (1L << 20));
        PlainActionFuture<ModelStatus> fp32 = new PlainActionFuture<>();
        PlainActionFuture<ModelStatus> int8 = new PlainActionFuture<>();
        service.load(FP32, fp32);
        service.load(INT8, int8);
        List<Exception> refusals = new ArrayList<>();
        long expected = 0;
        for (String id : List.of(FP32, INT8)) {
            try {
                (id.equals(FP32) ? fp32 : int8).actionGet(60, TimeUnit.SECONDS);
                expected += bytesOf(id);
            } catch (CircuitBreakingException refused) {
                refusals.add(refused);
            }
        }
        assertEquals("exactly one load is refused: " + refusals, 1, refusals.size());
        assertEquals(expected, breaker.getUsed());
        assertTrue(breaker.getUsed() <= breaker.getLimit());
    }

    public void testInferenceCallsReserveActivationsWhileTheyRunAndTripALowLimit() throws Exception {
        start(0);
        assertEquals(-1, breaker.getLimit());
        load(FP32);
        List<PlainActionFuture<List<Embedding>>> calls = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
            service.embed(new ModelService.EmbedCall(FP32, List.of("text number " + i + " about rivers"), InputType.DOCUMENT, null, null), future);
            calls.add(future);
        }
        for (PlainActionFuture<List<Embedding>> call : calls) {
            assertEquals(384, call.actionGet(60, TimeUnit.SECONDS).get(0).vector().length);
        }
        assertEquals("every batch gave its activations back", bytesOf(FP32), breaker.getUsed());

        // a limit just above the loaded model leaves no room for a batch's activations (a dynamic change)
        service.memory().setLimit(bytesOf(FP32) + 1024);
        Exception e = expectThrows(Exception.class, () -> embed(FP32, "one more text"));
        CircuitBreakingException trip = (CircuitBreakingException) ExceptionsHelper.unwrap(e, CircuitBreakingException.class);
        assertNotNull(e.toString(), trip);
        assertTrue(trip.getMessage(), trip.getMessage().contains("inference batch of model [bge-small-en-v1.5]"));
        assertEquals(1, service.counters(FP32).rejections.sum());
        assertEquals(bytesOf(FP32), breaker.getUsed());

        service.memory().setLimit(0);
        assertEquals(384, embed(FP32, "one more text").get(0).vector().length);
        assertEquals(bytesOf(FP32), breaker.getUsed());
        service.unload(FP32, 10, TimeUnit.SECONDS);
        assertEquals(0, breaker.getUsed());
    }

    public void testActivationEstimateGrowsWithRowsLengthAndWidth() {
        long base = ModelMemory.activationBytes(8, 128, 384);
        assertTrue(ModelMemory.activationBytes(16, 128, 384) > base);
        assertTrue(ModelMemory.activationBytes(8, 256, 384) > base);
        assertTrue(ModelMemory.activationBytes(8, 128, 4096) > base);
        // 8 x 128 tokens of a 384-wide model: 8 floats per hidden unit plus 6 heads of 128x128 scores
        assertEquals(4L * (1024L * 384 * 8 + 1024L * 128 * 6), base);
    }
}
