package io.instructembed.model;

import ai.onnxruntime.OrtException;
import io.instructembed.chunking.TokenSpans;
import io.instructembed.pack.PackManifest;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A pack ready to embed on this node: its tokenizer, its session and how batches are cut. */
public final class LoadedModel implements Closeable {
    private final PackManifest manifest;
    private final PackTokenizer tokenizer;
    private final RowEmbedder embedder;
    private final BatchPlanner planner;
    private final String device;
    private final ModelCounters counters;
    /** Set when the model is closed, so a failed call can tell a closed session from a bad input. */
    private volatile boolean closed;

    public LoadedModel(PackManifest manifest, PackTokenizer tokenizer, RowEmbedder embedder, BatchPlanner planner, String device) {
        this(manifest, tokenizer, embedder, planner, device, new ModelCounters());
    }

    /** @param counters the pack's totals on this node, which outlive this load (stats survive a reload) */
    public LoadedModel(PackManifest manifest, PackTokenizer tokenizer, RowEmbedder embedder, BatchPlanner planner, String device, ModelCounters counters) {
        this.counters = counters;
        this.manifest = manifest;
        this.tokenizer = tokenizer;
        this.embedder = embedder;
        this.planner = planner;
        this.device = device;
    }

    public PackManifest manifest() {
        return manifest;
    }

    public String device() {
        return device;
    }

    public ModelCounters counters() {
        return counters;
    }

    public TokenizedText tokenize(String renderedText) {
        return tokenizer.tokenize(renderedText);
    }

    /** Where the tokens of a source text lie in it (no prompt, no special tokens, no truncation). */
    public TokenSpans spans(String text) {
        return tokenizer.spans(text);
    }

    public BatchPlanner planner() {
        return planner;
    }

    /** Embeds already-rendered texts; results come back in input order. Runs on an inference thread. */
    public List<Embedding> embed(List<String> renderedTexts) throws OrtException {
        List<TokenizedText> tokenized = tokenize(renderedTexts);
        Embedding[] results = new Embedding[tokenized.size()];
        for (int[] batch : plan(tokenized)) {
            runBatch(tokenized, batch, results);
        }
        return Arrays.asList(results);
    }

    public List<TokenizedText> tokenize(List<String> renderedTexts) {
        List<TokenizedText> tokenized = new ArrayList<>(renderedTexts.size());
        for (String text : renderedTexts) {
            tokenized.add(tokenizer.tokenize(text));
        }
        counters.requests.increment();
        counters.texts.add(tokenized.size());
        return tokenized;
    }

    public List<int[]> plan(List<TokenizedText> tokenized) {
        return planner.plan(tokenized.stream().mapToInt(TokenizedText::length).toArray());
    }

    /** Runs one inference call over the rows {@code batch} names, writing their results in place. */
    public void runBatch(List<TokenizedText> tokenized, int[] batch, Embedding[] results) throws OrtException {
        List<TokenizedText> rows = new ArrayList<>(batch.length);
        int longest = 0;
        for (int index : batch) {
            rows.add(tokenized.get(index));
            longest = Math.max(longest, tokenized.get(index).length());
        }
        long start = System.nanoTime();
        try {
            float[][] vectors = embedder.embed(rows);
            for (int i = 0; i < batch.length; i++) {
                TokenizedText row = rows.get(i);
                results[batch[i]] = new Embedding(vectors[i], row.length(), row.truncated());
                counters.tokens.add(row.length());
                if (row.truncated()) {
                    counters.truncated.increment();
                }
            }
            counters.batches.increment();
            counters.paddedTokens.add((long) longest * batch.length);
        } finally {
            counters.inferenceNanos.add(System.nanoTime() - start);
        }
    }

    /** Whether {@link #close} has run: an unload that stopped waiting for running work frees it under them. */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            embedder.close();
        } finally {
            tokenizer.close();
        }
    }
}
