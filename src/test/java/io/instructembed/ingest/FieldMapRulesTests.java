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

    public void testMetadataTargetsAreRefused() {
        for (String target : List.of("_id", "_index", "_routing", "_source", "_version", "_version_type", "_if_seq_no", "_if_primary_term", "_op_type", "_ingest", "_seq_no", "_ignored")) {
            assertOneProblem(map("title", target), "target [" + target + "] of [title]", "metadata field [" + target + "]", "a field of the document");
        }
    }

    public void testTargetsUnderMetadataAreRefused() {
        assertOneProblem(map("title", "_ingest.vector"), "target [_ingest.vector]", "lies under the metadata field [_ingest]");
        assertOneProblem(map("title", "_source.title_vector"), "target [_source.title_vector]", "under the metadata field [_source]", "[title_vector]");
        assertOneProblem(map("title", "_id.v"), "[_id.v]", "[_id]");
    }

    public void testMetadataSourcesAreRefused() {
        assertOneProblem(map("_id", "id_vector"), "source [_id]", "metadata field [_id]", "not text of the document");
        assertOneProblem(map("_ingest.timestamp", "v"), "source [_ingest.timestamp]", "[_ingest]");
        assertOneProblem(map("_source.title", "v"), "source [_source.title]", "name the document's field itself: [title]");
    }

    public void testFieldsThatOnlyLookLikeMetadataPass() {
        assertEquals(List.of(), FieldMapRules.problems(map("id", "_id_vector", "title", "_vector", "source", "x._id", "_ingestion", "v2")));
    }
}
