package io.instructembed.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.instructembed.pack.PackManifest;
import io.instructembed.pack.PaddingSide;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX Runtime session of a pack's graph: turns a batch of tokenised rows into pooled,
 * optionally normalised vectors. Sessions are safe for concurrent {@code run} calls.
 */
public final class OnnxEmbedder implements RowEmbedder {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final PackManifest manifest;
    private final Map<String, OnnxJavaType> inputTypes;

    private OnnxEmbedder(OrtEnvironment env, OrtSession session, PackManifest manifest, Map<String, OnnxJavaType> inputTypes) {
        this.env = env;
        this.session = session;
        this.manifest = manifest;
        this.inputTypes = inputTypes;
    }

    /** Opens the graph and checks that it takes the inputs and gives the output the manifest names. */
    public static OnnxEmbedder open(OrtEnvironment env, Path modelPath, PackManifest manifest, OrtSession.SessionOptions options)
        throws OrtException {
        // From a path, not bytes: ONNX Runtime then finds external data files next to the graph.
        OrtSession session = env.createSession(modelPath.toString(), options);
        try {
            Map<String, NodeInfo> graphInputs = session.getInputInfo();
            Map<String, OnnxJavaType> types = new HashMap<>();
            for (Map.Entry<String, String> input : manifest.inputs().entrySet()) {
                NodeInfo info = graphInputs.get(input.getValue());
                if (info == null) {
                    throw new IllegalArgumentException(
                        "[model.inputs." + input.getKey() + "] the graph has no input [" + input.getValue() + "]; its inputs are " + graphInputs.keySet()
                    );
                }
                OnnxJavaType type = ((TensorInfo) info.getInfo()).type;
                if (type != OnnxJavaType.INT64 && type != OnnxJavaType.INT32) {
                    throw new IllegalArgumentException("[model.inputs." + input.getKey() + "] graph input [" + input.getValue() + "] is " + type + ", expected int64 or int32");
                }
                types.put(input.getKey(), type);
            }
            for (String graphInput : graphInputs.keySet()) {
                if (manifest.inputs().containsValue(graphInput) == false) {
                    throw new IllegalArgumentException("[model.inputs] the graph also needs input [" + graphInput + "], which the manifest does not map");
                }
            }
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            NodeInfo output = outputs.get(manifest.output());
            if (output == null) {
                throw new IllegalArgumentException("[model.output] the graph has no output [" + manifest.output() + "]; its outputs are " + outputs.keySet());
            }
            long[] shape = ((TensorInfo) output.getInfo()).getShape();
            long hidden = shape[shape.length - 1];
            if (hidden > 0 && hidden != manifest.dimensions()) {
                throw new IllegalArgumentException("[dimensions] is " + manifest.dimensions() + " but the graph's output [" + manifest.output() + "] has " + hidden);
            }
            return new OnnxEmbedder(env, session, manifest, Map.copyOf(types));
        } catch (RuntimeException | OrtException e) {
            session.close();
            throw e;
        }
    }

    /** Embeds rows of one batch; the result is in the order of {@code rows}. */
    @Override
    public float[][] embed(List<TokenizedText> rows) throws OrtException {
        int batch = rows.size();
        int sequence = 0;
        for (TokenizedText row : rows) {
            sequence = Math.max(sequence, row.length());
        }
        boolean left = manifest.paddingSide() == PaddingSide.LEFT;
        long[] ids = new long[batch * sequence];
        long[] mask = new long[batch * sequence];
        long[] types = new long[batch * sequence];
        long[] positions = new long[batch * sequence];
        for (int r = 0; r < batch; r++) {
            TokenizedText row = rows.get(r);
            int offset = r * sequence + (left ? sequence - row.length() : 0);
            System.arraycopy(row.ids(), 0, ids, offset, row.length());
            System.arraycopy(row.typeIds(), 0, types, offset, row.length());
            for (int t = 0; t < row.length(); t++) {
                mask[offset + t] = 1;
                positions[offset + t] = t;
            }
        }
        long[] shape = { batch, sequence };
        Map<String, long[]> byRole = Map.of(
            PackManifest.INPUT_IDS, ids,
            PackManifest.ATTENTION_MASK, mask,
            PackManifest.TOKEN_TYPE_IDS, types,
            PackManifest.POSITION_IDS, positions
        );
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            for (Map.Entry<String, String> input : manifest.inputs().entrySet()) {
                inputs.put(input.getValue(), tensor(byRole.get(input.getKey()), shape, inputTypes.get(input.getKey())));
            }
            try (OrtSession.Result result = session.run(inputs, Set.of(manifest.output()))) {
                OnnxValue value = result.get(manifest.output()).orElseThrow();
                OnnxTensor output = (OnnxTensor) value;
                long[] outShape = output.getInfo().getShape();
                FloatBuffer data = output.getFloatBuffer();
                float[][] vectors = new float[batch][];
                for (int r = 0; r < batch; r++) {
                    float[] vector;
                    if (outShape.length == 2) {  // the graph pools by itself
                        vector = new float[(int) outShape[1]];
                        data.get(r * vector.length, vector, 0, vector.length);
                    } else {
                        vector = Pooler.pool(data, r, sequence, (int) outShape[2], rows.get(r).length(), manifest.paddingSide(), manifest.pooling());
                    }
                    if (vector.length != manifest.dimensions()) {
                        throw new IllegalStateException("model [" + manifest.id() + "] gave " + vector.length + " dimensions, its pack says " + manifest.dimensions());
                    }
                    vectors[r] = manifest.normalize() ? Pooler.normalize(vector) : vector;
                }
                return vectors;
            }
        } finally {
            for (OnnxTensor tensor : inputs.values()) {
                tensor.close();
            }
        }
    }

    private OnnxTensor tensor(long[] values, long[] shape, OnnxJavaType type) throws OrtException {
        if (type == OnnxJavaType.INT32) {
            int[] narrow = new int[values.length];
            for (int i = 0; i < values.length; i++) {
                narrow[i] = Math.toIntExact(values[i]);
            }
            return OnnxTensor.createTensor(env, IntBuffer.wrap(narrow), shape);
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the session of [" + manifest.id() + "] failed", e);
        }
    }
}
