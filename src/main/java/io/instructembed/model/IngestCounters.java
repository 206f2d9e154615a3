package io.instructembed.model;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * One model's ingest totals on this node. Chunking: chunks written, chunks per document (over the
 * most recent documents, so memory stays bounded) and documents refused for having too many
 * chunks. {@code skip_existing}: source texts whose stored vectors were reused, and those embedded.
 * Kept by the model service per pack, not per load, so they survive an unload.
 */
public final class IngestCounters {
    private static final int RECENT = 2048;

    private final LongAdder chunks = new LongAdder();
    private final LongAdder documents = new LongAdder();
    private final LongAdder overLimit = new LongAdder();
    private final LongAdder textsSkipped = new LongAdder();
    private final LongAdder textsEmbedded = new LongAdder();
    private final LongAccumulator maxPerDocument = new LongAccumulator(Math::max, 0);
    private final int[] recent = new int[RECENT];
    private int next;
    private int size;

    /** A document whose chunked fields gave {@code chunkCount} chunks, all written. */
    public void document(int chunkCount) {
        chunks.add(chunkCount);
        documents.increment();
        maxPerDocument.accumulate(chunkCount);
        synchronized (this) {
            recent[next] = chunkCount;
            next = (next + 1) % RECENT;
            size = Math.min(size + 1, RECENT);
        }
    }

    /** A document refused for having more chunks than allowed. */
    public void overLimit() {
        overLimit.increment();
    }

    /** Source texts of a processor with skip_existing: {@code skipped} reused their stored vectors, {@code embedded} did not. */
    public void skipExisting(int skipped, int embedded) {
        textsSkipped.add(skipped);
        textsEmbedded.add(embedded);
    }

    public long textsSkipped() {
        return textsSkipped.sum();
    }

    public long textsEmbedded() {
        return textsEmbedded.sum();
    }

    public long chunks() {
        return chunks.sum();
    }

    public long documents() {
        return documents.sum();
    }

    public long overLimitDocuments() {
        return overLimit.sum();
    }

    public long maxPerDocument() {
        return maxPerDocument.get();
    }

    /** Median chunks per document over the most recent documents; 0 before any. */
    public synchronized double medianPerDocument() {
        if (size == 0) {
            return 0;
        }
        int[] sorted = Arrays.copyOf(recent, size);
        Arrays.sort(sorted);
        return size % 2 == 1 ? sorted[size / 2] : (sorted[size / 2 - 1] + sorted[size / 2]) / 2.0;
    }
}
