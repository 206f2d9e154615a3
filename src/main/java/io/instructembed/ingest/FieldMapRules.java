package io.instructembed.ingest;

import org.opensearch.index.mapper.SourceFieldMapper;
import org.opensearch.indices.IndicesModule;
import org.opensearch.ingest.IngestDocument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Field maps that would destroy data, refused when the pipeline is created rather than found in
 * documents later: two sources written to one target (the first vector is overwritten), a target
 * that is a source (its text is replaced by a vector, and a chain {@code a -> b, b -> c} embeds
 * the vector's place rather than the text), and a target on the path of a source or of another
 * target ({@code {"a.b": "a"}} replaces the whole object {@code a}, text included), and a source or
 * target that is a metadata field or lies under one ({@code _id}, {@code _source.x},
 * {@code _ingest.x}): a vector written into the document's metadata is no document content, and
 * writes through it could stall their whole {@code _bulk}; a metadata "source" is not the
 * document's text.
 */
final class FieldMapRules {
    /**
     * OpenSearch's metadata mapper names, the ingest document's metadata keys (some, such as
     * {@code _if_seq_no}, are not mappers), {@code _op_type} and the ingest metadata itself.
     */
    static final Set<String> METADATA_FIELDS;

    static {
        Set<String> names = new TreeSet<>(IndicesModule.getBuiltInMetadataFields());
        Arrays.stream(IngestDocument.Metadata.values()).map(IngestDocument.Metadata::getFieldName).forEach(names::add);
        names.add(SourceFieldMapper.NAME);
        names.add(IngestDocument.INGEST_KEY);
        names.add("_op_type");
        METADATA_FIELDS = Set.copyOf(names);
    }

    private FieldMapRules() {}

    /** Every problem of the map, each naming its fields; empty when the map is safe. */
    static List<String> problems(Map<String, String> fieldMap) {
        List<String> problems = new ArrayList<>();
        List<Map.Entry<String, String>> entries = new ArrayList<>(fieldMap.entrySet());
        for (Map.Entry<String, String> entry : entries) {
            String sourceMetadata = metadataRoot(entry.getKey());
            if (sourceMetadata != null) {
                problems.add("source [" + entry.getKey() + "] " + metadataReason(entry.getKey(), sourceMetadata) + ": it is not text of the document; "
                    + insteadOf(entry.getKey(), sourceMetadata, "embed a field of the document's source"));
            }
            String targetMetadata = metadataRoot(entry.getValue());
            if (targetMetadata != null) {
                problems.add("target [" + entry.getValue() + "] of [" + entry.getKey() + "] " + metadataReason(entry.getValue(), targetMetadata)
                    + ": a vector cannot be written into the document's metadata; "
                    + insteadOf(entry.getValue(), targetMetadata, "write it to a field of the document, such as [" + entry.getKey() + "_vector]"));
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            String source = entries.get(i).getKey();
            String target = entries.get(i).getValue();
            for (Map.Entry<String, String> other : entries) {
                String otherSource = other.getKey();
                if (otherSource.equals(source) == false && target.equals(otherSource)) {
                    problems.add("target [" + target + "] of [" + source + "] is itself a source field (mapped to [" + other.getValue()
                        + "]): the vector would replace the text before it is embedded");
                } else if (onPath(target, otherSource)) {
                    problems.add("target [" + target + "] of [" + source + "] and source [" + otherSource + "] lie on one path: writing the vector would "
                        + (target.length() < otherSource.length() ? "replace the object that holds the text" : "write into the text"));
                }
            }
            for (int j = i + 1; j < entries.size(); j++) {
                String otherTarget = entries.get(j).getValue();
                String otherSource = entries.get(j).getKey();
                if (target.equals(otherTarget)) {
                    problems.add("sources [" + source + "] and [" + otherSource + "] are both mapped to target [" + target + "]: one vector would overwrite the other");
                } else if (onPath(target, otherTarget)) {
                    problems.add("targets [" + target + "] (of [" + source + "]) and [" + otherTarget + "] (of [" + otherSource
                        + "]) lie on one path: one would overwrite the other");
                }
            }
        }
        return problems;
    }

    /** The metadata field a path is or lies under ({@code _ingest} for {@code _ingest.x}), or null. */
    static String metadataRoot(String path) {
        int dot = path.indexOf('.');
        String root = dot < 0 ? path : path.substring(0, dot);
        return METADATA_FIELDS.contains(root) ? root : null;
    }

    private static String metadataReason(String path, String root) {
        return path.equals(root) ? "is the metadata field [" + root + "]" : "lies under the metadata field [" + root + "]";
    }

    /** {@code _source.x} means the document's field {@code x}: name it so; any other metadata path has no document field to suggest. */
    private static String insteadOf(String path, String root, String otherwise) {
        if (root.equals(SourceFieldMapper.NAME) && path.length() > root.length() + 1) {
            return "name the document's field itself: [" + path.substring(root.length() + 1) + "]";
        }
        return otherwise;
    }

    /** Whether one dotted path is a proper parent of the other ({@code a} and {@code a.b}). */
    private static boolean onPath(String a, String b) {
        return a.startsWith(b + ".") || b.startsWith(a + ".");
    }
}
