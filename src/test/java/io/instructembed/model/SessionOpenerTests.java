package io.instructembed.model;

import io.instructembed.settings.DeviceRequest;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.support.OnnxRuntimeBuild;
import org.opensearch.common.settings.Settings;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Device selection and CPU fallback. The CPU paths run the real bge pack on the real ONNX Runtime.
 * CUDA itself cannot run here, so the GPU cases ({@code testWithCudaStandIn_*}) use a stand-in for
 * the CUDA runtime that either starts or fails the way a GPU node without CUDA libraries does; they
 * hold for either build. {@code testCpuOnlyBuild_*} assert what the default, CPU-only runtime does
 * and are skipped in the {@code -Pgpu} build, where {@code testGpuBuild_*} checks the CUDA provider.
 */
public class SessionOpenerTests extends OpenSearchTestCase {

    private static ModelPack bge() {
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        return PackRegistry.scan(bundled.resolve("none"), bundled).get("bge-small-en-v1.5").orElseThrow();
    }

    private static final InferenceConfig CONFIG = InferenceConfig.from(Settings.EMPTY);

    /** A GPU runtime whose CUDA provider starts, or fails with {@code failure}. */
    private static CudaSupport gpuRuntime(String failure, List<Integer> devicesAsked) {
        return new CudaSupport() {
            @Override
            public boolean runtimeHasCuda() {
                return true;
            }

            @Override
            public void addCuda(OrtSession.SessionOptions options, int device) throws OrtException {
                devicesAsked.add(device);
                if (failure != null) {
                    throw new OrtException(failure);
                }
            }
        };
    }

    private static SessionOpener.GraphOpener realGraphs(ModelPack pack, List<Path> opened) {
        return (model, options) -> {
            opened.add(model);
            return OnnxEmbedder.open(OrtEnvironment.getEnvironment(), model, pack.manifest(), options);
        };
    }

    public void testCpuOnlyBuild_hasNoCudaProvider() {
        OnnxRuntimeBuild.assumeCpuOnlyBuild();
        assertFalse(new OnnxRuntimeCuda(0, "kSameAsRequested").runtimeHasCuda());
    }

    public void testGpuBuild_hasCudaProvider() {
        OnnxRuntimeBuild.assumeGpuBuild();
        assertTrue(new OnnxRuntimeCuda(0, "kSameAsRequested").runtimeHasCuda());
    }

    public void testCpuOnlyBuild_autoRunsOnTheCpu() throws Exception {
        OnnxRuntimeBuild.assumeCpuOnlyBuild();
        ModelPack pack = bge();
        SessionOpener.Opened opened = new SessionOpener(CONFIG, new OnnxRuntimeCuda(0, "kSameAsRequested")).open(pack, DeviceRequest.AUTO);
        try {
            assertEquals(Device.CPU, opened.device());
            float[][] vectors = opened.embedder().embed(List.of(new TokenizedText(new long[] { 101, 7592, 102 }, new long[3], false)));
            assertEquals(384, vectors[0].length);
        } finally {
            opened.embedder().close();
        }
    }

    public void testCpuOnlyBuild_explicitCudaIsAClearError() {
        OnnxRuntimeBuild.assumeCpuOnlyBuild();
        SessionOpener opener = new SessionOpener(CONFIG, new OnnxRuntimeCuda(0, "kSameAsRequested"));
        IllegalStateException e = expectThrows(IllegalStateException.class, () -> opener.open(bge(), DeviceRequest.parse("cuda:1")));
        assertTrue(e.getMessage(), e.getMessage().contains("asks for device [cuda:1], but this ONNX Runtime build has no CUDA execution provider"));
        assertTrue(e.getMessage(), e.getMessage().contains("mvn -Pgpu package"));
    }

    public void testWithCudaStandIn_autoFallsBackToTheCpuWhenCudaFailsToStart() throws Exception {
        ModelPack pack = bge();
        List<Integer> asked = new ArrayList<>();
        List<Path> graphs = new ArrayList<>();
        SessionOpener opener = new SessionOpener(CONFIG, gpuRuntime("libcublasLt.so.12: cannot open shared object file", asked));
        SessionOpener.Opened opened = opener.open(pack, DeviceRequest.AUTO, realGraphs(pack, graphs));
        try {
            assertEquals(Device.CPU, opened.device());
            assertEquals(List.of(0), asked);
        } finally {
            opened.embedder().close();
        }
    }

    public void testWithCudaStandIn_explicitCudaFailureNamesWhatFailed() {
        ModelPack pack = bge();
        SessionOpener opener = new SessionOpener(CONFIG, gpuRuntime("libcudnn.so.9: cannot open shared object file", new ArrayList<>()));
        IllegalStateException e = expectThrows(
            IllegalStateException.class,
            () -> opener.open(pack, DeviceRequest.parse("cuda"), realGraphs(pack, new ArrayList<>()))
        );
        assertTrue(e.getMessage(), e.getMessage().startsWith("model [bge-small-en-v1.5] cannot start on [cuda:0]: libcudnn.so.9: cannot open shared object file"));
        assertTrue(e.getMessage(), e.getMessage().contains("libcudart.so.12"));
    }

    public void testWithCudaStandIn_cudaIsUsedWhenItStartsAndTheFp16GraphIsPreferred() throws Exception {
        // the default file system's view of a test temp dir (links to the bundled files below)
        Path dir = Path.of(createTempDir().toString());
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        Files.writeString(
            dir.resolve("pack.json"),
            Files.readString(bundled.resolve("bge-small-en-v1.5/pack.json"))
                .replace("\"file\": \"bge-small-en-v1.5.onnx\",", "\"file\": \"bge-small-en-v1.5.onnx\", \"fp16_file\": \"model-fp16.onnx\",")
        );
        Files.copy(bundled.resolve("bge-small-en-v1.5/bge-small-en-v1.5-tokenizer.json"), dir.resolve("bge-small-en-v1.5-tokenizer.json"));
        Files.createSymbolicLink(dir.resolve("bge-small-en-v1.5.onnx"), bundled.resolve("bge-small-en-v1.5/bge-small-en-v1.5.onnx").toAbsolutePath());
        // the fp16 graph stands in as a copy of the fp32 one: what matters is which file is opened
        Files.createSymbolicLink(dir.resolve("model-fp16.onnx"), bundled.resolve("bge-small-en-v1.5/bge-small-en-v1.5.onnx").toAbsolutePath());
        Path root = dir.getParent();
        Files.move(dir, root.resolve("bge-small-en-v1.5"));
        ModelPack pack = PackRegistry.scan(root, root.resolve("none")).get("bge-small-en-v1.5").orElseThrow();
        assertEquals("model-fp16.onnx", pack.manifest().fp16ModelFile());

        List<Integer> asked = new ArrayList<>();
        List<Path> graphs = new ArrayList<>();
        SessionOpener.Opened opened = new SessionOpener(CONFIG, gpuRuntime(null, asked)).open(
            pack,
            DeviceRequest.parse("cuda:1"),
            realGraphs(pack, graphs)
        );
        try {
            assertEquals(Device.cuda(1), opened.device());
            assertEquals(List.of(1), asked);
            assertEquals("model-fp16.onnx", graphs.get(0).getFileName().toString());
        } finally {
            opened.embedder().close();
        }
        // and the CPU keeps the fp32 graph
        SessionOpener.Opened cpu = new SessionOpener(CONFIG, gpuRuntime(null, asked)).open(pack, DeviceRequest.parse("cpu"), realGraphs(pack, graphs));
        cpu.embedder().close();
        assertEquals("bge-small-en-v1.5.onnx", graphs.get(1).getFileName().toString());
    }

    public void testDeviceRequestsAndOverrides() {
        assertEquals(DeviceRequest.AUTO, DeviceRequest.parse(" Auto "));
        assertEquals("cuda:0", DeviceRequest.parse("cuda").toString());
        assertEquals("cuda:3", DeviceRequest.parse("cuda:3").toString());
        assertEquals("cpu", DeviceRequest.parse("cpu").toString());
        for (String bad : List.of("gpu", "cuda:", "cuda:-1", "cuda:x", "")) {
            expectThrows(IllegalArgumentException.class, () -> DeviceRequest.parse(bad));
        }
        DevicePlan plan = DevicePlan.of("auto", List.of("sfr-embedding-mistral=cuda:1", "bge-small-en-v1.5=cpu"));
        assertEquals("cuda:1", plan.forPack("sfr-embedding-mistral").toString());
        assertEquals("cpu", plan.forPack("bge-small-en-v1.5").toString());
        assertEquals(DeviceRequest.AUTO, plan.forPack("other"));
    }
}
