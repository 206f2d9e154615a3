package io.instructembed.ingest;

import org.opensearch.test.OpenSearchTestCase;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Field maps that would destroy data are refused with every problem named (issue #14, defect 4). */
public class FieldMapRulesTests extends OpenSearchTestCase {

    private static Map<String, String> map(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static void assertOneProblem(Map<String, String> fieldMap, String... mentions) {
        List<String> problems = FieldMapRules.problems(fieldMap);
        assertEquals(problems.toString(), 1, problems.size());
        for (String mention : mentions) {
            assertTrue(problems.get(0) + " should name " + mention, problems.get(0).contains(mention));
        }
    }

    public void testSafeMapsPass() {
        assertEquals(List.of(), FieldMapRules.problems(map("title", "title_vector", "body.text", "body_vector")));
        // siblings that share a prefix of characters, not of path
        assertEquals(List.of(), FieldMapRules.problems(map("a", "ab", "abc", "a_vector", "x.y", "x.yz")));
        assertEquals(List.of(), FieldMapRules.problems(map("a.b", "a.c")));
    }

    public void testTwoSourcesToOneTarget() {
        assertOneProblem(map("title", "v", "body", "v"), "[title]", "[body]", "[v]", "overwrite");
    }

    public void testTargetOnThePathOfItsSourceOrAnotherSource() {
        assertOneProblem(map("a.b", "a"), "[a]", "[a.b]", "replace the object");
        assertOneProblem(map("a", "a.vector"), "[a.vector]", "[a]", "write into the text");
        assertOneProblem(map("x", "v", "doc.text", "doc"), "[doc]", "[doc.text]");
    }

    public void testChainsAreRefused() {
        List<String> problems = FieldMapRules.problems(map("a", "b", "b", "c"));
        assertEquals(problems.toString(), 1, problems.size());
        assertTrue(problems.get(0), problems.get(0).contains("target [b] of [a] is itself a source field"));
    }

    public void testTargetsOnOnePath() {
        assertOneProblem(map("t1", "v", "t2", "v.inner"), "[v]", "[v.inner]", "[t1]", "[t2]");
    }

    public void testEveryProblemIsReported() {
        List<String> problems = FieldMapRules.problems(map("a", "v", "b", "v", "c", "a"));
        assertEquals(problems.toString(), 2, problems.size());
    }
}
