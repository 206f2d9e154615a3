package io.instructembed.model;

import ai.onnxruntime.OrtException;

import java.io.Closeable;
import java.util.List;

/**
 * Runs one batch of tokenised rows through a model and gives one vector per row, in the rows'
 * order. On a node this is ONNX Runtime ({@link OnnxEmbedder}); the interface exists so that the
 * scheduler's handling of failed calls can be tested with a model that fails on chosen inputs.
 */
public interface RowEmbedder extends Closeable {
    /** @throws OrtException when the runtime could not run these rows (bad input, out of memory) */
    float[][] embed(List<TokenizedText> rows) throws OrtException;

    @Override
    void close();
}
