package io.instructembed.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Query embeddings by model and rendered text (prompt included), least recently used out first.
 * Bounded by entry count: a repeated query skips inference, and memory stays at
 * capacity x dimensions x 4 bytes at most.
 */
public final class QueryVectorCache {
    private final int capacity;
    private final LinkedHashMap<Key, Embedding> entries;
    private final Map<String, LongAdder> hits = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> misses = new ConcurrentHashMap<>();

    private record Key(String modelId, String renderedText) {}

    public QueryVectorCache(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Embedding> eldest) {
                return size() > QueryVectorCache.this.capacity;
            }
        };
    }

    /** The cached embedding, or null; counts a hit, and a miss only when {@code countMiss}. */
    public Embedding get(String modelId, String renderedText, boolean countMiss) {
        if (capacity == 0) {
            if (countMiss) {
                counter(misses, modelId).increment();
            }
            return null;
        }
        Embedding found;
        synchronized (entries) {
            found = entries.get(new Key(modelId, renderedText));
        }
        if (found != null) {
            counter(hits, modelId).increment();
        } else if (countMiss) {
            counter(misses, modelId).increment();
        }
        return found;
    }

    public void put(String modelId, String renderedText, Embedding embedding) {
        if (capacity == 0) {
            return;
        }
        synchronized (entries) {
            entries.put(new Key(modelId, renderedText), embedding);
        }
    }

    /** Drops a model's entries, e.g. when it is unloaded. */
    public void invalidate(String modelId) {
        synchronized (entries) {
            entries.keySet().removeIf(key -> key.modelId().equals(modelId));
        }
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
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
