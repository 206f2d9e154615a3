package io.instructembed.model;

import org.opensearch.common.cache.Cache;
import org.opensearch.common.cache.CacheBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Query embeddings by model and rendered text (prompt included), least recently used out first,
 * on OpenSearch's segmented {@link Cache} (no global lock). Weighed in bytes, so a 4,096-d vector
 * counts 16 KB and a 384-d one 1.5 KB against the same limit; a limit of 0 turns it off.
 */
public final class QueryEmbeddingCache {
    /** Object headers and references around each entry, beside its text and floats. */
    static final long ENTRY_OVERHEAD_BYTES = 96;

    private record Key(String modelId, String renderedText) {}

    /** Replaced when the limit changes: OpenSearch 3.2-3.4 keep a built cache's limit fixed. */
    private volatile Cache<Key, Embedding> entries;
    private volatile boolean enabled;
    /** Per pack id (a fixed set: callers pass only ids of existing packs). */
    private final Map<String, LongAdder> hits = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> misses = new ConcurrentHashMap<>();

    public QueryEmbeddingCache(long maxBytes) {
        this.entries = build(maxBytes);
        this.enabled = maxBytes > 0;
    }

    private static Cache<Key, Embedding> build(long maxBytes) {
        return CacheBuilder.<Key, Embedding>builder().setMaximumWeight(Math.max(1, maxBytes)).weigher(QueryEmbeddingCache::weigh).build();
    }

    static long weigh(Key key, Embedding embedding) {
        return ENTRY_OVERHEAD_BYTES + 2L * key.renderedText().length() + (long) Float.BYTES * embedding.vector().length;
    }

    /** Bytes an entry of this text and vector counts against the limit. */
    static long weigh(String renderedText, Embedding embedding) {
        return weigh(new Key("", renderedText), embedding);
    }

    /**
     * A dynamic setting changed: the cache starts afresh with the new limit (a cache only costs
     * re-embedding its queries once); 0 turns it off.
     */
    public void setMaxBytes(long maxBytes) {
        Cache<Key, Embedding> previous = entries;
        entries = build(maxBytes);
        enabled = maxBytes > 0;
        previous.invalidateAll();
    }

    /** The cached embedding, or null; counts a hit, and a miss only when {@code countMiss}. */
    public Embedding get(String modelId, String renderedText, boolean countMiss) {
        Embedding found = enabled ? entries.get(new Key(modelId, renderedText)) : null;
        if (found != null) {
            counter(hits, modelId).increment();
        } else if (countMiss) {
            counter(misses, modelId).increment();
        }
        return found;
    }

    public void put(String modelId, String renderedText, Embedding embedding) {
        if (enabled) {
            entries.put(new Key(modelId, renderedText), embedding);
        }
    }

    /** Drops a model's entries, e.g. when it is unloaded. */
    public void invalidate(String modelId) {
        List<Key> stale = new ArrayList<>();
        for (Key key : entries.keys()) {
            if (key.modelId().equals(modelId)) {
                stale.add(key);
            }
        }
        stale.forEach(entries::invalidate);
    }

    public int size() {
        return entries.count();
    }

    /** Bytes the entries count for, as weighed. */
    public long bytes() {
        return entries.weight();
    }

    public long hits(String modelId) {
        LongAdder adder = hits.get(modelId);
        return adder == null ? 0 : adder.sum();
    }

    public long misses(String modelId) {
        LongAdder adder = misses.get(modelId);
        return adder == null ? 0 : adder.sum();
    }

    private static LongAdder counter(Map<String, LongAdder> counters, String modelId) {
        return counters.computeIfAbsent(modelId, id -> new LongAdder());
    }
}
