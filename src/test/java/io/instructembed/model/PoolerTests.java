package io.instructembed.model;

import io.instructembed.pack.PaddingSide;
import io.instructembed.pack.Pooling;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.FloatBuffer;

public class PoolerTests extends OpenSearchTestCase {

    /** hidden[row][t][d] = 100 * row + 10 * t + d: every position is recognisable. */
    private static FloatBuffer hidden(int rows, int sequence, int dims) {
        float[] data = new float[rows * sequence * dims];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < sequence; t++) {
                for (int d = 0; d < dims; d++) {
                    data[(r * sequence + t) * dims + d] = 100 * r + 10 * t + d;
                }
            }
        }
        return FloatBuffer.wrap(data);
    }

    public void testRightPadding() {
        FloatBuffer h = hidden(2, 5, 2);
        // row 1 has 3 real tokens at positions 0..2
        assertArrayEquals(new float[] { 100, 101 }, Pooler.pool(h, 1, 5, 2, 3, PaddingSide.RIGHT, Pooling.CLS), 0f);
        assertArrayEquals(new float[] { 120, 121 }, Pooler.pool(h, 1, 5, 2, 3, PaddingSide.RIGHT, Pooling.LAST_TOKEN), 0f);
        assertArrayEquals(new float[] { 110, 111 }, Pooler.pool(h, 1, 5, 2, 3, PaddingSide.RIGHT, Pooling.MEAN), 1e-4f);
    }

    public void testLeftPadding() {
        FloatBuffer h = hidden(2, 5, 2);
        // row 1 has 3 real tokens at positions 2..4
        assertArrayEquals(new float[] { 120, 121 }, Pooler.pool(h, 1, 5, 2, 3, PaddingSide.LEFT, Pooling.CLS), 0f);
        assertArrayEquals(new float[] { 140, 141 }, Pooler.pool(h, 1, 5, 2, 3, PaddingSide.LEFT, Pooling.LAST_TOKEN), 0f);
        assertArrayEquals(new float[] { 130, 131 }, Pooler.pool(h, 1, 5, 2, 3, PaddingSide.LEFT, Pooling.MEAN), 1e-4f);
    }

    public void testNormalize() {
        assertArrayEquals(new float[] { 0.6f, 0.8f }, Pooler.normalize(new float[] { 3, 4 }), 1e-6f);
        assertArrayEquals(new float[] { 0, 0 }, Pooler.normalize(new float[] { 0, 0 }), 0f);
    }
}
