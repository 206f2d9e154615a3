package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.pack.PackRegistry;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.OpenSearchExecutors;
import org.opensearch.common.util.concurrent.ThreadContext;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** A model that asks for CUDA on a CPU-only runtime fails to load with the reason; the service goes on. */
public class ModelServiceDeviceTests extends org.opensearch.test.OpenSearchTestCase {

    public void testCudaOnACpuOnlyNodeFailsTheLoadNotTheNode() throws Exception {
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        ExecutorService executor = OpenSearchExecutors.newFixed(
            "test-device",
            1,
            4,
            OpenSearchExecutors.daemonThreadFactory("test-device"),
            new ThreadContext(Settings.EMPTY)
        );
        InferenceConfig config = InferenceConfig.from(Settings.EMPTY);
        ModelService service = new ModelService(
            PackRegistry.scan(bundled.resolve("none"), bundled),
            executor,
            config,
            new SessionOpener(config, new OnnxRuntimeCuda(0, "kSameAsRequested")),
            DevicePlan.of("cpu", List.of("bge-small-en-v1.5=cuda")),
            new QueryVectorCache(0),
            new ModelService.SchedulerConfig(1, 4096, 256)
        );
        try {
            PlainActionFuture<List<Embedding>> onCuda = new PlainActionFuture<>();
            service.embed(new ModelService.EmbedCall("bge-small-en-v1.5", List.of("x"), InputType.DOCUMENT, null, null), onCuda);
            Exception e = expectThrows(Exception.class, () -> onCuda.actionGet(60, TimeUnit.SECONDS));
            assertTrue(e.getMessage(), e.getMessage().contains("has no CUDA execution provider"));
            ModelStatus status = service.status("bge-small-en-v1.5");
            assertEquals(LoadState.FAILED, status.state());
            assertTrue(status.error(), status.error().contains("asks for device [cuda:0]"));

            // the other pack follows the node's device, cpu, and works
            PlainActionFuture<List<Embedding>> onCpu = new PlainActionFuture<>();
            service.embed(new ModelService.EmbedCall("bge-small-en-v1.5-int8", List.of("x"), InputType.DOCUMENT, null, null), onCpu);
            assertEquals(384, onCpu.actionGet(60, TimeUnit.SECONDS).get(0).vector().length);
            assertEquals("cpu", service.status("bge-small-en-v1.5-int8").device());
        } finally {
            service.close();
            executor.shutdown();
            assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
