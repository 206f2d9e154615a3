package io.instructembed.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.instructembed.model.InferenceConfig;
import io.instructembed.model.NativeLibraries;
import io.instructembed.model.OnnxEmbedder;
import io.instructembed.model.PackTokenizer;
import io.instructembed.model.TokenizedText;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ceiling the plugin's ingest is measured against: the same pack on plain ONNX Runtime, same
 * threads, no OpenSearch. Texts are tokenised, sorted by length and cut into batches of a fixed
 * number of rows (or run one at a time), and the wall time of tokenisation plus inference is taken.
 *
 *   RawOrtCeiling PACKS_DIR PACK_ID TEXTS_FILE THREADS BATCH_ROWS   (BATCH_ROWS 1: one text at a time)
 *
 * TEXTS_FILE holds one document text per line. Prints "docs/s tokens/s".
 */
public final class RawOrtCeiling {
    public static void main(String[] args) throws Exception {
        NativeLibraries.configureDjl(Path.of(System.getProperty("java.io.tmpdir")));
        Path packs = Path.of(args[0]);
        ModelPack pack = PackRegistry.scan(packs.resolve("none"), packs).get(args[1]).orElseThrow();
        List<String> texts = Files.readAllLines(Path.of(args[2]));
        int threads = Integer.parseInt(args[3]);
        int rows = Integer.parseInt(args[4]);
        InferenceConfig config = new InferenceConfig(threads, "all", Integer.MAX_VALUE, rows);
        try (
            PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest());
            OrtSession.SessionOptions options = config.sessionOptions();
            OnnxEmbedder embedder = OnnxEmbedder.open(OrtEnvironment.getEnvironment(), pack.modelPath(), pack.manifest(), options)
        ) {
            // warm up on a few texts
            List<TokenizedText> warm = new ArrayList<>();
            for (int i = 0; i < Math.min(8, texts.size()); i++) {
                warm.add(tokenizer.tokenize(pack.manifest().prompts().document().replace("{text}", texts.get(i))));
            }
            embedder.embed(warm);

            long start = System.nanoTime();
            List<TokenizedText> tokenized = new ArrayList<>(texts.size());
            long tokens = 0;
            for (String text : texts) {
                TokenizedText t = tokenizer.tokenize(pack.manifest().prompts().document().replace("{text}", text));
                tokenized.add(t);
                tokens += t.length();
            }
            int[] lengths = tokenized.stream().mapToInt(TokenizedText::length).toArray();
            List<int[]> batches = rows == 1 ? singles(texts.size()) : new FixedRowsPlanner(rows).plan(lengths);
            for (int[] batch : batches) {
                List<TokenizedText> batchRows = new ArrayList<>(batch.length);
                for (int index : batch) {
                    batchRows.add(tokenized.get(index));
                }
                embedder.embed(batchRows);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(java.util.Locale.ROOT, "%.2f %.1f%n", texts.size() / seconds, tokens / seconds);
        }
    }

    private static List<int[]> singles(int n) {
        List<int[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new int[] { i });
        }
        return out;
    }

    /** Length-sorted batches of a fixed row count: the textbook batching a raw loop would do. */
    private static final class FixedRowsPlanner {
        private final int rows;

        FixedRowsPlanner(int rows) {
            this.rows = rows;
        }

        List<int[]> plan(int[] lengths) {
            Integer[] order = new Integer[lengths.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Integer.compare(lengths[b], lengths[a]));
            List<int[]> batches = new ArrayList<>();
            for (int start = 0; start < order.length; start += rows) {
                int end = Math.min(order.length, start + rows);
                int[] batch = new int[end - start];
                for (int i = start; i < end; i++) {
                    batch[i - start] = order[i];
                }
                batches.add(batch);
            }
            return batches;
        }
    }
}
