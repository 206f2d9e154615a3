package io.instructembed.field;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.MappingMetadata;
import org.opensearch.common.cache.Cache;
import org.opensearch.common.cache.CacheBuilder;

import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The {@code instruct_text} fields of each index's mapping, parsed once per mapping into
 * {@link InstructTextSpec}s: searches, gets and {@code instruct_knn} rewrites ask on every request,
 * and reading a mapping means decompressing and parsing it. Keyed by index UUID and mapping version, so a changed mapping is
 * read afresh; bounded, so deleted indices fall out.
 */
public final class InstructTextMappings {
    private static final int MAX_MAPPINGS = 4096;

    private final Cache<String, List<InstructTextSpec>> fieldsByMapping = CacheBuilder.<String, List<InstructTextSpec>>builder()
        .setMaximumWeight(MAX_MAPPINGS)
        .build();

    /** The index's instruct_text fields outside nested objects, in mapping order (empty for most indices). */
    public List<InstructTextSpec> of(IndexMetadata index) {
        MappingMetadata mapping = index.mapping();
        if (mapping == null) {
            return List.of();
        }
        try {
            return fieldsByMapping.computeIfAbsent(
                index.getIndexUUID() + "/" + index.getMappingVersion(),
                key -> List.copyOf(InstructTextFields.of(mapping.sourceAsMap()))
            );
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the mapping of index [" + index.getIndex().getName() + "]", e.getCause());
        }
    }
}
