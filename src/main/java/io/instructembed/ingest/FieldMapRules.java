package io.instructembed.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Field maps that would destroy data, refused when the pipeline is created rather than found in
 * documents later: two sources written to one target (the first vector is overwritten), a target
 * that is a source (its text is replaced by a vector, and a chain {@code a -> b, b -> c} embeds
 * the vector's place rather than the text), and a target on the path of a source or of another
 * target ({@code {"a.b": "a"}} replaces the whole object {@code a}, text included).
 */
final class FieldMapRules {
    private FieldMapRules() {}

    /** Every problem of the map, each naming its fields; empty when the map is safe. */
    static List<String> problems(Map<String, String> fieldMap) {
        List<String> problems = new ArrayList<>();
        List<Map.Entry<String, String>> entries = new ArrayList<>(fieldMap.entrySet());
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

    /** Whether one dotted path is a proper parent of the other ({@code a} and {@code a.b}). */
    private static boolean onPath(String a, String b) {
        return a.startsWith(b + ".") || b.startsWith(a + ".");
    }
}
