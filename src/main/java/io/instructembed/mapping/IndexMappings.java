package io.instructembed.mapping;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.MappingMetadata;
import org.opensearch.common.cache.Cache;
import org.opensearch.common.cache.CacheBuilder;

import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Each index mapping's vector fields and {@code _meta}, read once per mapping version: every
 * {@code instruct_knn} checks the queried field in every searched index, and bulks ask for the
 * recorded writers of pipeline targets ({@link TargetRecords}), while reading a mapping means
 * decompressing and parsing it. Keyed by index UUID and mapping version, so a changed mapping is
 * read afresh; bounded, so deleted indices fall out.
 */
public final class IndexMappings {
    private static final int MAX_MAPPINGS = 4096;

    private final Cache<String, VectorFieldMappings> mappings = CacheBuilder.<String, VectorFieldMappings>builder()
        .setMaximumWeight(MAX_MAPPINGS)
        .build();

    /** The index's mapping as {@link VectorFieldMappings} reads it (an index without a mapping maps nothing). */
    public VectorFieldMappings of(IndexMetadata index) {
        MappingMetadata mapping = index.mapping();
        if (mapping == null) {
            return VectorFieldMappings.ofMapping(Map.of());
        }
        try {
            return mappings.computeIfAbsent(
                index.getIndexUUID() + "/" + index.getMappingVersion(),
                key -> VectorFieldMappings.ofMapping(mapping.sourceAsMap())
            );
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the mapping of index [" + index.getIndex().getName() + "]", e.getCause());
        }
    }

    /** The mapping's {@code _meta}, empty when it has none. */
    public Map<String, Object> meta(IndexMetadata index) {
        Map<String, Object> meta = of(index).meta();
        return meta == null ? Map.of() : meta;
    }
}
