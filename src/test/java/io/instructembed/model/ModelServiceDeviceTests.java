package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.support.OnnxRuntimeBuild;
import io.instructembed.support.TestModelServices;
import org.opensearch.action.support.PlainActionFuture;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A model that asks for CUDA on a CPU-only runtime fails to load with the reason; the service goes
 * on. What the CPU-only runtime does: skipped in the {@code -Pgpu} build.
 */
public class ModelServiceDeviceTests extends org.opensearch.test.OpenSearchTestCase {

    public void testCpuOnlyBuild_cudaModelFailsTheLoadNotTheNode() throws Exception {
        OnnxRuntimeBuild.assumeCpuOnlyBuild();
        TestModelServices models = TestModelServices.bundled(null, "cpu", List.of("bge-small-en-v1.5=cuda"), 1, 1);
        ModelService service = models.service;
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
            models.close();
        }
    }
}
