package io.instructembed.mapping;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.MappingMetadata;
import org.opensearch.common.cache.Cache;
import org.opensearch.common.cache.CacheBuilder;

import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Each index mapping's {@code _meta}, read once per mapping version: bulks and queries ask for
 * the recorded writers of pipeline targets ({@link TargetRecords}) on every request, and reading a
 * mapping means decompressing and parsing it. Keyed by index UUID and mapping version; bounded,
 * so deleted indices fall out.
 */
public final class IndexMetas {
    private static final int MAX_MAPPINGS = 4096;

    private final Cache<String, Map<String, Object>> metas = CacheBuilder.<String, Map<String, Object>>builder()
        .setMaximumWeight(MAX_MAPPINGS)
        .build();

    @SuppressWarnings("unchecked")
    public Map<String, Object> of(IndexMetadata index) {
        MappingMetadata mapping = index.mapping();
        if (mapping == null) {
            return Map.of();
        }
        try {
            return metas.computeIfAbsent(index.getIndexUUID() + "/" + index.getMappingVersion(), key -> {
                Object meta = mapping.sourceAsMap().get("_meta");
                return meta instanceof Map<?, ?> map ? Map.copyOf((Map<String, Object>) map) : Map.of();
            });
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the mapping of index [" + index.getIndex().getName() + "]", e.getCause());
        }
    }
}
