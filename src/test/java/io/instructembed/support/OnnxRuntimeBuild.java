package io.instructembed.support;

import static org.junit.Assume.assumeFalse;
import static org.junit.Assume.assumeTrue;

/**
 * Which ONNX Runtime build the tests run on: the CPU artifact by default, the GPU one in the
 * {@code -Pgpu} build. The build says so (pom.xml passes {@code instruct_embed.test.onnxruntime});
 * asking the runtime itself would make the tests that check the runtime circular.
 */
public final class OnnxRuntimeBuild {
    public static final String PROPERTY = "instruct_embed.test.onnxruntime";

    private OnnxRuntimeBuild() {}

    public static boolean isGpuBuild() {
        // outside Maven (an IDE), the default build: CPU
        return "onnxruntime_gpu".equals(System.getProperty(PROPERTY, "onnxruntime"));
    }

    /** Skips a test whose assertions hold only for the CPU-only runtime, in the {@code -Pgpu} build. */
    public static void assumeCpuOnlyBuild() {
        assumeFalse("asserts what the CPU-only ONNX Runtime does; this is the -Pgpu build", isGpuBuild());
    }

    public static void assumeGpuBuild() {
        assumeTrue("checks the -Pgpu build's ONNX Runtime; this is the CPU-only build", isGpuBuild());
    }
}
