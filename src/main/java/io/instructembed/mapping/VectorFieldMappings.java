package io.instructembed.mapping;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.MappingMetadata;
import org.opensearch.cluster.service.ClusterService;

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

    private VectorFieldMappings(Map<String, Object> properties) {
        this.properties = properties;
    }

    public static VectorFieldMappings of(ClusterService clusterService, String index) {
        IndexMetadata metadata = index == null ? null : clusterService.state().metadata().index(index);
        MappingMetadata mapping = metadata == null ? null : metadata.mapping();
        return fromMapping(mapping == null ? Map.of() : mapping.sourceAsMap());
    }

    public static VectorFieldMappings fromMapping(Map<String, Object> mappingSource) {
        return new VectorFieldMappings(asMap(mappingSource.get("properties")));
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
