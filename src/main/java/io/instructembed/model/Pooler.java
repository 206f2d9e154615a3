package io.instructembed.model;

import io.instructembed.pack.PaddingSide;
import io.instructembed.pack.Pooling;

import java.nio.FloatBuffer;

/**
 * Takes one vector per row out of a [batch, sequence, hidden] output, looking only at each row's
 * real tokens: with left padding a row's tokens sit at the end of the sequence, with right
 * padding at the start.
 */
public final class Pooler {
    private Pooler() {}

    public static float[] pool(FloatBuffer hidden, int row, int sequence, int dims, int length, PaddingSide padding, Pooling pooling) {
        int first = padding == PaddingSide.LEFT ? sequence - length : 0;
        int base = row * sequence * dims;
        float[] out = new float[dims];
        switch (pooling) {
            case CLS -> hidden.get(base + first * dims, out, 0, dims);
            case LAST_TOKEN -> hidden.get(base + (first + length - 1) * dims, out, 0, dims);
            case MEAN -> {
                // Sum in double: a 512-token mean in float loses the last digits we promise.
                double[] sum = new double[dims];
                for (int t = first; t < first + length; t++) {
                    int offset = base + t * dims;
                    for (int d = 0; d < dims; d++) {
                        sum[d] += hidden.get(offset + d);
                    }
                }
                for (int d = 0; d < dims; d++) {
                    out[d] = (float) (sum[d] / length);
                }
            }
        }
        return out;
    }

    /** Scales to unit length in place; a zero vector stays zero. */
    public static float[] normalize(float[] vector) {
        double norm = 0;
        for (float v : vector) {
            norm += (double) v * v;
        }
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int i = 0; i < vector.length; i++) {
                vector[i] = (float) (vector[i] / norm);
            }
        }
        return vector;
    }
}
