package io.instructembed.mapping;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.MappingMetadata;
import org.opensearch.cluster.service.ClusterService;

import java.util.Collections;
import java.util.Map;

/**
 * Reads a field's {@code knn_vector} dimension from an index mapping, so that a document bound for
 * a field of the wrong size, or a query against one, fails with a message naming both sizes before
 * any inference. An index or field not mapped yet passes: dynamic mapping or k-NN decide then.
 */
public final class VectorFieldMappings {
    /** The property inside each object written for an array of texts. */
    public static final String ARRAY_VECTOR = "vector";
    public static final String ARRAY_TEXT = "text";
    /** The {@code [start, end)} character offsets of a chunk in its source text. */
    public static final String CHUNK_OFFSETS = "offsets";

    private final Map<String, Object> properties;
    /** Whether dynamic mapping can only guess the target's type: the index exists and has no dynamic templates. */
    private final boolean unmappedIsGuessed;

    /** The mapping's {@code _meta}, where the models that wrote pipeline targets are recorded ({@link TargetRecords}). */
    private final Map<String, Object> meta;

    private VectorFieldMappings(Map<String, Object> properties, boolean unmappedIsGuessed, Map<String, Object> meta) {
        this.properties = properties;
        this.unmappedIsGuessed = unmappedIsGuessed;
        this.meta = meta;
    }

    /** Whether the index exists (else its mapping is not known yet). */
    public boolean exists() {
        return properties != null;
    }

    public Map<String, Object> meta() {
        return meta;
    }

    /** What the mapping records as the writer of {@code target}, or null. */
    public TargetRecords.Written recorded(String target) {
        return TargetRecords.of(meta, target);
    }

    public static VectorFieldMappings of(ClusterService clusterService, String index) {
        IndexMetadata metadata = index == null ? null : clusterService.state().metadata().index(index);
        if (metadata == null) {
            // not created yet (or a _simulate): its templates decide its mapping, which we cannot see here
            return new VectorFieldMappings(null, false, null);
        }
        MappingMetadata mapping = metadata.mapping();
        return ofMapping(mapping == null ? Map.of() : mapping.sourceAsMap());
    }

    /** The mapping of an existing index, from its source ({@link IndexMappings} keeps them per mapping version). */
    public static VectorFieldMappings ofMapping(Map<String, Object> source) {
        Map<String, Object> properties = asMap(source.get("properties"));
        return new VectorFieldMappings(
            properties == null ? Map.of() : Collections.unmodifiableMap(properties),
            source.get("dynamic_templates") == null,
            source.get("_meta") instanceof Map<?, ?> ? Collections.unmodifiableMap(asMap(source.get("_meta"))) : null
        );
    }

    public static VectorFieldMappings fromMapping(Map<String, Object> mappingSource) {
        return new VectorFieldMappings(asMap(mappingSource.get("properties")), false, asMap(mappingSource.get("_meta")));
    }

    /**
     * Null when the target is mapped, or may be mapped by a dynamic template; else why a document
     * must not be written: dynamic mapping would make the vector an array of {@code float}s, and
     * the document would be indexed but never found by k-NN.
     */
    public String checkMapped(String target, boolean array, int dimensions) {
        if (unmappedIsGuessed == false) {
            return null;
        }
        if (array) {
            return lookup(target + "." + ARRAY_VECTOR) != null
                ? null
                : "target field [" + target + "] is not mapped: map it as [nested] with a [" + ARRAY_VECTOR + "] property of type [knn_vector] and dimension ["
                    + dimensions + "] (and [" + ARRAY_TEXT + "]) before indexing; dynamic mapping would make the vectors plain floats that k-NN cannot search";
        }
        return lookup(target) != null
            ? null
            : "target field [" + target + "] is not mapped: map it as [knn_vector] with dimension [" + dimensions
                + "] before indexing; dynamic mapping would make the vector plain floats that k-NN cannot search";
    }

    /** Null when fine, else why the field cannot take vectors of {@code dimensions}. */
    public String check(String target, boolean array, int dimensions, String modelId) {
        if (array) {
            Map<String, Object> parent = lookup(target);
            Object type = parent == null ? null : parent.get("type");
            if (parent != null && type != null && "nested".equals(type) == false && "object".equals(type) == false) {
                return "target field [" + target + "] is mapped as [" + type + "], but arrays of texts and chunks are written as objects {"
                    + ARRAY_TEXT + ", " + ARRAY_VECTOR + "}: map it as [nested]";
            }
        }
        String path = array ? target + "." + ARRAY_VECTOR : target;
        Map<String, Object> field = lookup(path);
        if (field == null) {
            return null;
        }
        Object type = field.get("type");
        if ("knn_vector".equals(type) == false) {
            return "target field [" + path + "] is mapped as [" + type + "], not [knn_vector]";
        }
        Object mapped = field.get("dimension");
        if (mapped instanceof Number n && n.intValue() != dimensions) {
            return "target field [" + path + "] has dimension [" + n.intValue() + "] in the mapping, but model [" + modelId + "] gives [" + dimensions + "]";
        }
        return null;
    }

    /** Whether {@code path} is mapped as a nested object whose {@code vector} property is a {@code knn_vector}: chunks or an array of texts. */
    public boolean isNestedVectors(String path) {
        Map<String, Object> field = lookup(path);
        if (field == null || "nested".equals(field.get("type")) == false) {
            return false;
        }
        Map<String, Object> vector = lookup(path + "." + ARRAY_VECTOR);
        return vector != null && "knn_vector".equals(vector.get("type"));
    }

    /** Whether {@code path} is mapped in this index at all. */
    public boolean isMapped(String path) {
        return lookup(path) != null;
    }

    private Map<String, Object> lookup(String path) {
        Map<String, Object> level = properties;
        if (level == null) {
            return null;
        }
        Map<String, Object> field = null;
        for (String part : path.split("\\.")) {
            if (level == null) {
                return null;
            }
            field = asMap(level.get(part));
            if (field == null) {
                return null;
            }
            level = asMap(field.get("properties"));
        }
        return field;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
    }
}
