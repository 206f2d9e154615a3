package io.instructembed.writerule;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads and removes values at a dotted path of a document source map, the way OpenSearch's
 * document parser resolves them: {@code meta.summary} is found as {@code {"meta": {"summary": ..}}}
 * and as the dotted key {@code {"meta.summary": ..}}, or any mix of both
 * ({@code {"meta": {"a.b": ..}}}). Clients write both forms, so every reader of texts and vectors
 * (the processor, the shard's write rule, the bulk embedder) must see both.
 */
public final class SourceValues {
    private SourceValues() {}

    /** What a path holds: whether some form of it is present, and its value (null when absent or JSON null). */
    public record Found(boolean present, Object value) {
        static final Found ABSENT = new Found(false, null);
    }

    /** The value at {@code path}; when several forms are present, the first in the source's order that is not null. */
    public static Found find(Map<String, Object> source, String path) {
        if (source == null) {
            return Found.ABSENT;
        }
        Found best = Found.ABSENT;
        if (source.containsKey(path)) {
            Object value = source.get(path);
            if (value != null) {
                return new Found(true, value);
            }
            best = new Found(true, null);
        }
        int dot = path.indexOf('.');
        while (dot > 0) {
            if (source.get(path.substring(0, dot)) instanceof Map<?, ?> map) {
                Found inner = find(asMap(map), path.substring(dot + 1));
                if (inner.value() != null) {
                    return inner;
                }
                if (inner.present()) {
                    best = inner;
                }
            }
            dot = path.indexOf('.', dot + 1);
        }
        return best;
    }

    /** The value at {@code path}, or null. */
    public static Object valueAt(Map<String, Object> source, String path) {
        return find(source, path).value();
    }

    /** Removes every form of {@code path}; returns whether any was there. */
    public static boolean remove(Map<String, Object> source, String path) {
        if (source == null) {
            return false;
        }
        boolean removed = false;
        if (source.containsKey(path)) {
            source.remove(path);
            removed = true;
        }
        int dot = path.indexOf('.');
        while (dot > 0) {
            if (source.get(path.substring(0, dot)) instanceof Map<?, ?> map) {
                removed |= remove(asMap(map), path.substring(dot + 1));
            }
            dot = path.indexOf('.', dot + 1);
        }
        return removed;
    }

    /**
     * The strings of a text value: a string, or the strings of an array (entries that are not
     * strings are left out here; the field's mapper refuses them when the document is parsed).
     * Null for no value.
     */
    public static List<String> texts(Object value) {
        if (value instanceof String text) {
            return List.of(text);
        }
        if (value instanceof List<?> list) {
            List<String> texts = new ArrayList<>(list.size());
            for (Object entry : list) {
                if (entry instanceof String text) {
                    texts.add(text);
                }
            }
            return texts;
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }
}
