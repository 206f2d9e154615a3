package io.instructembed.load;

import io.instructembed.support.NodeCalls;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.common.settings.Settings;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A bulk is never refused by its own size on an idle node (issue #20, item 6): one batch keeps at
 * most half of the model's queue in flight and sends the rest as earlier calls finish; a document
 * with too many texts to embed whole fails alone, naming the setting; and a batch with nothing to
 * embed does not touch (or load) the model.
 */
public class BulkFlowControlIT extends OpenSearchRestTestCase {
    private static final String MODEL = "bge-small-en-v1.5";
    private static final String VECTOR = "{\"type\":\"knn_vector\",\"dimension\":384,\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}";

    private Map<String, Object> call(String method, String path, String json) throws IOException {
        Request request = new Request(method, path);
        if (json != null) {
            request.setJsonEntity(json);
        }
        return entityAsMap(client().performRequest(request));
    }

    private void queueMaxTexts(Object value) throws IOException {
        call("PUT", "/_cluster/settings", "{\"persistent\":{\"instruct_embed.queue.max_texts\":" + value + "}}");
    }

    private void instructTextIndex(String index, String model) throws IOException {
        call(
            "PUT",
            "/" + index,
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"text\":{\"type\":\"instruct_text\",\"model_id\":\""
                + model + "\"}}}}"
        );
    }

    /** Bulks {@code count} short documents (ids {@code d0...}) in one request; answers the items. */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> bulkShortDocuments(String index, int count, String prefix) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int d = 0; d < count; d++) {
            body.append("{\"index\":{\"_id\":\"d").append(d).append("\"}}\n");
            body.append("{\"text\":\"").append(prefix).append(' ').append(d).append(" rivers\"}\n");
        }
        Request request = new Request("POST", "/" + index + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(body.toString());
        return (List<Map<String, Object>>) entityAsMap(client().performRequest(request)).get("items");
    }

    @SuppressWarnings("unchecked")
    private static void assertAllIndexed(List<Map<String, Object>> items, int count) {
        assertEquals(count, items.size());
        int failed = 0;
        String first = null;
        for (Map<String, Object> item : items) {
            Map<String, Object> index = (Map<String, Object>) item.get("index");
            int status = (Integer) index.get("status");
            if (status >= 300) {
                failed++;
                first = first == null ? index.toString() : first;
            }
        }
        assertEquals("items failed, the first: " + first, 0, failed);
    }

    private int count(String index) throws IOException {
        return ((Number) call("GET", "/" + index + "/_count", null).get("count")).intValue();
    }

    public void testABulkOfManyTimesTheQueueIsIndexedWholeOnAnIdleNode() throws IOException {
        String index = "it-flow-small-queue";
        instructTextIndex(index, MODEL);
        long rejectionsBefore = ((Number) NodeCalls.modelStats(client(), MODEL).get("rejections")).longValue();
        queueMaxTexts(64);
        try {
            long start = System.nanoTime();
            List<Map<String, Object>> items = bulkShortDocuments(index, 5_000, "note");
            logger.info("5,000 short documents, queue.max_texts 64: {} ms", (System.nanoTime() - start) / 1_000_000);
            assertAllIndexed(items, 5_000);
        } finally {
            queueMaxTexts(null);
        }
        assertEquals(5_000, count(index));
        assertEquals(rejectionsBefore, ((Number) NodeCalls.modelStats(client(), MODEL).get("rejections")).longValue());
    }

    public void testABulkLargerThanTheDefaultQueueIsIndexedWhole() throws IOException {
        String index = "it-flow-default-queue";
        instructTextIndex(index, MODEL);
        List<Map<String, Object>> items = bulkShortDocuments(index, 3_000, "memo");
        assertAllIndexed(items, 3_000);
        assertEquals(3_000, count(index));
    }

    @SuppressWarnings("unchecked")
    public void testADocumentWithTooManyTextsToEmbedWholeFailsAloneNamingTheSetting() throws IOException {
        call("PUT", "/_ingest/pipeline/it-flow-arrays", "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
            + "\",\"field_map\":{\"tags\":\"tag_vectors\"}}}]}");
        call(
            "PUT",
            "/it-flow-arrays",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"it-flow-arrays\"},"
                + "\"mappings\":{\"properties\":{\"tag_vectors\":{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},\"vector\":" + VECTOR + "}}}}}"
        );
        StringBuilder tooMany = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            tooMany.append(i == 0 ? "" : ",").append("\"tag ").append(i).append('"');
        }
        String body = "{\"index\":{\"_id\":\"many\"}}\n{\"tags\":[" + tooMany + "]}\n"
            + "{\"index\":{\"_id\":\"few\"}}\n{\"tags\":[\"rivers\",\"hills\"]}\n";
        Request request = new Request("POST", "/it-flow-arrays/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(body);
        List<Map<String, Object>> items = (List<Map<String, Object>>) entityAsMap(client().performRequest(request)).get("items");
        Map<String, Object> many = (Map<String, Object>) items.get(0).get("index");
        Map<String, Object> few = (Map<String, Object>) items.get(1).get("index");
        assertEquals(many.toString(), 400, many.get("status"));
        String reason = (String) ((Map<String, Object>) many.get("error")).get("reason");
        assertTrue(reason, reason.contains("the document gives 300 texts to embed (field [tags]: 300), over the limit of 256 per document"));
        assertTrue(reason, reason.contains("instruct_embed.limits.max_texts_per_document"));
        assertEquals(few.toString(), 201, few.get("status"));

        // dynamic: raised, the same document is embedded
        call("PUT", "/_cluster/settings", "{\"persistent\":{\"instruct_embed.limits.max_texts_per_document\":300}}");
        try {
            Request again = new Request("POST", "/it-flow-arrays/_bulk");
            again.addParameter("refresh", "true");
            again.setJsonEntity(body);
            assertEquals(false, entityAsMap(client().performRequest(again)).get("errors"));
        } finally {
            call("PUT", "/_cluster/settings", "{\"persistent\":{\"instruct_embed.limits.max_texts_per_document\":null}}");
        }
        assertEquals(2, count("it-flow-arrays"));
    }

    private void putBlank(String index) throws IOException {
        Request request = new Request("PUT", "/" + index + "/_doc/blank");
        request.addParameter("refresh", "true");
        request.setJsonEntity("{\"text\":\"   \"}");
        assertEquals(2, client().performRequest(request).getStatusLine().getStatusCode() / 100);
    }

    @SuppressWarnings("unchecked")
    private String nodeState(String model) throws IOException {
        Map<String, Object> one = call("GET", "/_plugins/_instruct_embed/models/" + model, null);
        Map<String, Object> node = (Map<String, Object>) ((Map<String, Object>) one.get("nodes")).values().iterator().next();
        return (String) node.get("state");
    }

    @SuppressWarnings("unchecked")
    public void testResendingUnchangedChunkedDocumentsLeavesAnUnloadedModelUnloaded() throws IOException {
        String model = "bge-small-en-v1.5-int8";  // not the preloaded model, which other tests expect loaded
        String index = "it-flow-unchanged";
        instructTextIndex(index, model);  // chunked and skip_existing by default
        assertAllIndexed(bulkShortDocuments(index, 20, "page"), 20);
        putBlank(index);  // a blank text: nothing to chunk in it

        call("POST", "/_plugins/_instruct_embed/models/" + model + "/_unload", null);
        assertEquals("not_loaded", nodeState(model));
        Map<String, Object> before = (Map<String, Object>) NodeCalls.modelStats(client(), model).get("skip_existing");
        assertAllIndexed(bulkShortDocuments(index, 20, "page"), 20);
        Map<String, Object> after = (Map<String, Object>) NodeCalls.modelStats(client(), model).get("skip_existing");
        assertEquals("re-sending unchanged documents must not load the model", "not_loaded", nodeState(model));
        assertEquals(before.get("texts_embedded"), after.get("texts_embedded"));
        assertEquals(((Number) before.get("texts_skipped")).longValue() + 20, ((Number) after.get("texts_skipped")).longValue());

        putBlank(index);
        assertEquals("a blank text is not chunked, so the model stays unloaded", "not_loaded", nodeState(model));
        assertEquals(21, count(index));
        Response root = client().performRequest(new Request("GET", "/"));
        assertEquals(200, root.getStatusLine().getStatusCode());
    }

    /** One bulk of 5,000 documents is one request: on a busy 2-core machine it may take longer than the default 60 s. */
    @Override
    protected Settings restClientSettings() {
        return Settings.builder().put(super.restClientSettings()).put(CLIENT_SOCKET_TIMEOUT, "5m").build();
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
