package io.instructembed.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;

/**
 * CUDA through ONNX Runtime's CUDA execution provider, with the options that matter for memory:
 * a memory limit for the arena, and how the arena grows.
 */
public final class OnnxRuntimeCuda implements CudaSupport {
    private final long memoryLimitBytes;
    private final String arenaExtendStrategy;

    /**
     * @param memoryLimitBytes    0 for ONNX Runtime's default (no limit)
     * @param arenaExtendStrategy {@code kNextPowerOfTwo} or {@code kSameAsRequested}
     */
    public OnnxRuntimeCuda(long memoryLimitBytes, String arenaExtendStrategy) {
        this.memoryLimitBytes = memoryLimitBytes;
        this.arenaExtendStrategy = arenaExtendStrategy;
    }

    @Override
    public boolean runtimeHasCuda() {
        return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    @Override
    public void addCuda(OrtSession.SessionOptions options, int device) throws OrtException {
        try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(device)) {
            if (memoryLimitBytes > 0) {
                cuda.add("gpu_mem_limit", Long.toString(memoryLimitBytes));
            }
            cuda.add("arena_extend_strategy", arenaExtendStrategy);
            // search the fastest convolution/GEMM algorithms once per shape, as throughput matters most
            cuda.add("cudnn_conv_algo_search", "EXHAUSTIVE");
            options.addCUDA(cuda);
        }
    }
}
