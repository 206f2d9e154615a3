package io.instructembed.model;

import io.instructembed.settings.DeviceRequest;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.instructembed.pack.ModelPack;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Opens a pack's ONNX Runtime session on the device it asks for. {@code auto} takes CUDA when the
 * GPU runtime starts and falls back to the CPU with one clear warning otherwise; an explicit
 * {@code cuda} never falls back silently: it fails the load with the reason. Either way the node
 * keeps running.
 */
public final class SessionOpener {
    private static final Logger logger = LogManager.getLogger(SessionOpener.class);

    /** A session and the device it actually runs on. */
    public record Opened(OnnxEmbedder embedder, Device device) {}

    /** Opens the graph at a path with given options; ONNX Runtime in production, a stand-in in tests. */
    public interface GraphOpener {
        OnnxEmbedder open(Path model, OrtSession.SessionOptions options) throws OrtException;
    }

    private final InferenceConfig config;
    private final CudaSupport cuda;
    private final AtomicBoolean warnedNoCudaRuntime = new AtomicBoolean();

    public SessionOpener(InferenceConfig config, CudaSupport cuda) {
        this.config = config;
        this.cuda = cuda;
    }

    public Opened open(ModelPack pack, DeviceRequest request) throws OrtException {
        return open(pack, request, (model, options) -> OnnxEmbedder.open(OrtEnvironment.getEnvironment(), model, pack.manifest(), options));
    }

    public Opened open(ModelPack pack, DeviceRequest request, GraphOpener graphs) throws OrtException {
        if (request.mode() == DeviceRequest.Mode.CPU) {
            return onCpu(pack, graphs);
        }
        if (cuda.runtimeHasCuda() == false) {
            if (request.mode() == DeviceRequest.Mode.CUDA) {
                throw new IllegalStateException(
                    "model [" + pack.id() + "] asks for device [" + request + "], but this ONNX Runtime build has no CUDA execution provider: "
                        + "install the GPU build of the plugin (mvn -Pgpu package) and CUDA 12 with cuDNN 9, or set instruct_embed.device to auto or cpu"
                );
            }
            if (warnedNoCudaRuntime.compareAndSet(false, true)) {
                logger.warn(
                    "instruct_embed.device is [auto] and this ONNX Runtime build has no CUDA execution provider: models run on the CPU "
                        + "(the GPU build of the plugin is made with mvn -Pgpu package)"
                );
            }
            return onCpu(pack, graphs);
        }
        Device device = Device.cuda(request.cudaIndex());
        try (OrtSession.SessionOptions options = config.sessionOptions()) {
            cuda.addCuda(options, device.index());
            return new Opened(graphs.open(gpuGraph(pack), options), device);
        } catch (OrtException | RuntimeException e) {
            if (request.mode() == DeviceRequest.Mode.CUDA) {
                throw new IllegalStateException(
                    "model [" + pack.id() + "] cannot start on [" + device + "]: " + e.getMessage()
                        + " (a GPU node needs CUDA 12 and cuDNN 9 libraries: libcudart.so.12, libcublas.so.12, libcublasLt.so.12, libcufft.so.11, libcudnn.so.9)",
                    e
                );
            }
            logger.warn("model [{}] could not start on [{}], running it on the CPU instead: {}", pack.id(), device, e.getMessage());
            return onCpu(pack, graphs);
        }
    }

    private Opened onCpu(ModelPack pack, GraphOpener graphs) throws OrtException {
        try (OrtSession.SessionOptions options = config.sessionOptions()) {
            return new Opened(graphs.open(pack.modelPath(), options), Device.CPU);
        }
    }

    /** On a GPU, a pack's fp16 graph when it ships one: half the memory, and tensor cores. */
    static Path gpuGraph(ModelPack pack) {
        String fp16 = pack.manifest().fp16ModelFile();
        if (fp16 != null && pack.modelDir() != null && java.nio.file.Files.isRegularFile(pack.modelDir().resolve(fp16))) {
            return pack.modelDir().resolve(fp16);
        }
        return pack.modelPath();
    }
}
