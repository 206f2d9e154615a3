package io.instructembed.query;

import org.opensearch.client.Request;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;
import org.junit.Before;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code instruct_knn} where the sweep of issue #21 found it failing, on a real node: inside the
 * user's own {@code nested} query on the chunk path, over indices of which some lack the field,
 * twice on one chunked field, and as an alias filter.
 */
public class SearchEdgesIT extends OpenSearchRestTestCase {
    private static final String MODEL = "bge-small-en-v1.5";
    /** An instruct_text field chunked small enough that the first document has three chunks. */
    private static final String TEXTS = "edges-text";
    /** A pipeline writing an array of texts as nested {text, vector} objects. */
    private static final String PIPELINE = "edges-pipeline";
    /** An index that maps none of the fields. */
    private static final String PLAIN = "edges-plain";
    private static final String BRAIN = "Neurons pass signals to each other across synapses, using neurotransmitters. "
        + "Glaciers carve valleys as they move downhill. The heart pumps blood through arteries and veins to every organ of the body.";
    private static final String VOLCANO = "Magma rises through cracks in the crust and erupts as lava.";
    private static boolean indexed;

    @Before
    public void indexDocuments() throws IOException {
        if (indexed) {
            return;
        }
        call("PUT", "/" + TEXTS, "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0},"
            + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\",\"chunking\":{\"max_tokens\":16}}}}}");
        call("PUT", "/_ingest/pipeline/" + PIPELINE, "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
            + "\",\"field_map\":{\"paragraphs\":\"paragraph_vectors\",\"title\":\"vec\"}}}]}");
        String vector = "{\"type\":\"knn_vector\",\"dimension\":384,\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}";
        call("PUT", "/" + PIPELINE, "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"" + PIPELINE + "\"},"
            + "\"mappings\":{\"properties\":{\"vec\":" + vector + ",\"paragraph_vectors\":{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},\"vector\":"
            + vector + "}}}}}");
        call("PUT", "/" + PLAIN, "{\"settings\":{\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"title\":{\"type\":\"text\"}}}}");
        bulk(TEXTS, "{\"index\":{\"_id\":\"brain\"}}\n{\"body\":\"" + BRAIN + "\"}\n{\"index\":{\"_id\":\"volcano\"}}\n{\"body\":\"" + VOLCANO + "\"}\n");
        bulk(PIPELINE, "{\"index\":{\"_id\":\"brain\"}}\n{\"title\":\"nerves\",\"paragraphs\":[\"Glaciers carve valleys.\",\"Neurons pass signals across synapses.\"]}\n"
            + "{\"index\":{\"_id\":\"volcano\"}}\n{\"title\":\"lava\",\"paragraphs\":[\"" + VOLCANO + "\"]}\n");
        bulk(PLAIN, "{\"index\":{\"_id\":\"plain\"}}\n{\"title\":\"how do brain cells talk?\"}\n");
        indexed = true;
    }

    @Override
    protected boolean preserveIndicesUponCompletion() {
        return true;
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }

    /** Item 1: inside the user's nested on the chunk path, on every name of the chunks, the documents rank as at the top level. */
    @SuppressWarnings("unchecked")
    public void testInsideTheUsersOwnNestedOnTheChunkPath() throws IOException {
        Map<String, Object> alone = search(TEXTS, knnQuery("body", "how do brain cells talk?", ""));
        for (String field : List.of("body", "body_instruct.chunks", "body_instruct.chunks.vector")) {
            Map<String, Object> inNested = search(
                TEXTS,
                "{\"query\":{\"nested\":{\"path\":\"body_instruct.chunks\",\"score_mode\":\"max\",\"query\":"
                    + knn(field, "how do brain cells talk?", "") + ",\"inner_hits\":{\"_source\":[\"body_instruct.chunks.text\"]}}}}"
            );
            assertEquals(field, 0, ((Map<String, Object>) inNested.get("_shards")).get("failed"));
            assertEquals(field, ids(alone), ids(inNested));
            assertEquals(field, scores(alone), scores(inNested));
            Map<String, Object> best = hits(inNested).get(0);
            assertEquals(field, Set.of("body_instruct.chunks"), ((Map<String, Object>) best.get("inner_hits")).keySet());
        }
        // a pipeline's nested array field, inside the user's nested on it
        Map<String, Object> pipeline = search(
            PIPELINE,
            "{\"query\":{\"nested\":{\"path\":\"paragraph_vectors\",\"query\":" + knn("paragraph_vectors", "how do brain cells talk?", "") + "}}}"
        );
        assertEquals(List.of("brain", "volcano"), ids(pipeline));
    }

    /** Item 2: an index without the field is a 400 naming it, unless ignore_unmapped asks for the others alone (then no shard fails). */
    @SuppressWarnings("unchecked")
    public void testIndicesWithoutTheFieldAre400sUnlessIgnoreUnmapped() throws IOException {
        for (String[] target : new String[][] { { TEXTS + "," + PLAIN, "body", PLAIN }, { "edges-*", "body", PIPELINE + ", " + PLAIN },
            { PIPELINE + "," + PLAIN, "vec", PLAIN }, { PIPELINE + "," + PLAIN, "paragraph_vectors", PLAIN } }) {
            assertSearchError(target[0], knnQuery(target[1], "how do brain cells talk?", ""), "is not mapped in [" + target[2] + "]");
            Map<String, Object> response = search(target[0], knnQuery(target[1], "how do brain cells talk?", ",\"ignore_unmapped\":true"));
            assertEquals(target[0], 0, ((Map<String, Object>) response.get("_shards")).get("failed"));
            assertFalse(target[0], ids(response).isEmpty());
            assertFalse(target[0], ids(response).contains("plain"));
        }
    }

    /** Item 3: two instruct_knn clauses on one chunked field, in bool, dis_max, or query and post_filter: each its own inner hits. */
    @SuppressWarnings("unchecked")
    public void testTwoClausesOnOneChunkedField() throws IOException {
        String first = knn("body", "how do brain cells talk?", "");
        String second = knn("body", "what pumps blood?", "");
        for (String body : List.of(
            "{\"query\":{\"bool\":{\"should\":[" + first + "," + second + "]}}}",
            "{\"query\":{\"dis_max\":{\"queries\":[" + first + "," + second + "]}}}",
            "{\"query\":" + first + ",\"post_filter\":" + second + "}"
        )) {
            Map<String, Object> response = search(TEXTS, body);
            Map<String, Object> brain = hits(response).get(0);
            assertEquals(body, "brain", brain.get("_id"));
            Map<String, Object> innerHits = (Map<String, Object>) brain.get("inner_hits");
            assertEquals(body, Set.of("body_instruct.chunks", "body_instruct.chunks#2"), innerHits.keySet());
            // each clause's best chunk: the neurons sentence for the first, the heart sentence for the second
            assertEquals(body, 0, nestedOffset(innerHits.get("body_instruct.chunks")));
            assertNotEquals(body, 0, nestedOffset(innerHits.get("body_instruct.chunks#2")));
        }
        String named = knn("body", "how do brain cells talk?", ",\"inner_hits\":{\"name\":\"best\"}");
        assertSearchError(TEXTS, "{\"query\":{\"bool\":{\"should\":[" + named + "," + named + "]}}}", "[inner_hits] name [best] is taken by another clause");
    }

    /** Item 4: an alias filter is never rewritten where a query text can be embedded, so it is refused when the alias is made (even with the query embedding cached). */
    public void testAnAliasFilterIsRefusedWhenTheAliasIsMade() throws IOException {
        String filter = knn("body", "how do brain cells talk?", "");
        search(TEXTS, "{\"query\":" + filter + "}");  // cached now: before the fix, this made the alias pass validation
        ResponseException e = expectThrows(
            ResponseException.class,
            () -> call("POST", "/_aliases", "{\"actions\":[{\"add\":{\"index\":\"" + TEXTS + "\",\"alias\":\"edges-brain\",\"filter\":" + filter + "}}]}")
        );
        assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(e.getMessage(), e.getMessage().contains("[instruct_knn] runs only in a search request"));
        ResponseException created = expectThrows(
            ResponseException.class,
            () -> call("PUT", "/edges-with-alias", "{\"aliases\":{\"edges-brain\":{\"filter\":" + filter + "}},\"mappings\":{\"properties\":{"
                + "\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"}}},\"settings\":{\"index.knn\":true,\"number_of_replicas\":0}}")
        );
        assertEquals(400, created.getResponse().getStatusLine().getStatusCode());
        assertTrue(created.getMessage(), created.getMessage().contains("[instruct_knn] runs only in a search request"));
        assertEquals(404, client().performRequest(new Request("HEAD", "/_alias/edges-brain")).getStatusLine().getStatusCode());
    }

    private static String knn(String field, String text, String more) {
        return "{\"instruct_knn\":{\"" + field + "\":{\"query_text\":\"" + text + "\",\"k\":5" + more + "}}}";
    }

    private static String knnQuery(String field, String text, String more) {
        return "{\"query\":" + knn(field, text, more) + "}";
    }

    @SuppressWarnings("unchecked")
    private static int nestedOffset(Object innerHit) {
        Map<String, Object> hits = (Map<String, Object>) ((Map<String, Object>) innerHit).get("hits");
        Map<String, Object> best = ((List<Map<String, Object>>) hits.get("hits")).get(0);
        return (Integer) ((Map<String, Object>) best.get("_nested")).get("offset");
    }

    private void call(String method, String path, String json) throws IOException {
        Request request = new Request(method, path);
        request.setJsonEntity(json);
        client().performRequest(request);
    }

    private void bulk(String index, String ndjson) throws IOException {
        Request request = new Request("POST", "/" + index + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(ndjson);
        assertEquals(false, entityAsMap(client().performRequest(request)).get("errors"));
    }

    private Map<String, Object> search(String index, String body) throws IOException {
        Request request = new Request("POST", "/" + index + "/_search");
        request.setJsonEntity(body);
        return entityAsMap(client().performRequest(request));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> hits(Map<String, Object> response) {
        return (List<Map<String, Object>>) ((Map<String, Object>) response.get("hits")).get("hits");
    }

    private static List<String> ids(Map<String, Object> response) {
        return hits(response).stream().map(h -> (String) h.get("_id")).toList();
    }

    private static List<Object> scores(Map<String, Object> response) {
        return hits(response).stream().map(h -> h.get("_score")).toList();
    }

    private void assertSearchError(String index, String body, String reason) {
        Request request = new Request("POST", "/" + index + "/_search");
        request.setJsonEntity(body);
        ResponseException e = expectThrows(ResponseException.class, () -> client().performRequest(request));
        assertEquals(body, 400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue("expected [" + reason + "] in " + e.getMessage(), e.getMessage().contains(reason));
    }
}
