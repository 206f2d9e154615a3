package io.instructembed.support;

/**
 * The function the stand-in graphs of scripts/fixtures/make_test_packs.py compute, recomputed here:
 * {@code hidden[d] = sin(0.37 (id + 1) + 0.011 (d + 1)) + 0.1 sin(pos / (d + 1))}. With last-token
 * pooling and normalisation, a text's vector depends only on its last token and that token's
 * position, so prompts, padding and pooling mistakes all show.
 */
public final class StandInModel {
    private StandInModel() {}

    public static float[] expected(long lastTokenId, int position, int dims) {
        float[] v = new float[dims];
        double norm = 0;
        for (int d = 0; d < dims; d++) {
            float token = (float) Math.sin(0.37 * (lastTokenId + 1) + 0.011 * (d + 1));
            float wave = (float) (0.1 * Math.sin((float) position * (float) (1.0 / (d + 1))));
            v[d] = token + wave;
            norm += (double) v[d] * v[d];
        }
        for (int d = 0; d < dims; d++) {
            v[d] = (float) (v[d] / Math.sqrt(norm));
        }
        return v;
    }

    /** The folder holding the stand-in weights, laid out as config/instruct-embed/packs/. */
    public static java.nio.file.Path packsDir() {
        return java.nio.file.Path.of("src/test/resources/packs");
    }
}
