package io.instructembed.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/** The one place that touches CUDA: whether the runtime has it, and adding it to a session. */
public interface CudaSupport {

    /** Whether the installed ONNX Runtime is a GPU build (onnxruntime_gpu). */
    boolean runtimeHasCuda();

    /**
     * Adds the CUDA execution provider for {@code device}. Throws when CUDA cannot start, e.g.
     * when the CUDA 12 or cuDNN 9 libraries are missing; the message names what failed.
     */
    void addCuda(OrtSession.SessionOptions options, int device) throws OrtException;
}
