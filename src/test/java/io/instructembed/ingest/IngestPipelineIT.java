package io.instructembed.ingest;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.NodeCalls;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.Json;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/** The {@code instruct_embedding} processor on a real node: bulk, failures, batching, reindex. */
public class IngestPipelineIT extends OpenSearchRestTestCase {

    private static final String MODEL = "bge-small-en-v1.5";
    /** Words that are one token each in bge's vocabulary: generated texts of N words have N + 2 tokens. */
    private static final String[] WORDS = "the cat dog sun tree blue red house water fire green small big old new day night city road river"
        .split(" ");

    private static String vectorField(int dimension) {
        return "{\"type\":\"knn_vector\",\"dimension\":" + dimension
            + ",\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}";
    }

    private void put(String path, String json) throws IOException {
        Request request = new Request("PUT", path);
        request.setJsonEntity(json);
        client().performRequest(request);
    }

    private void createPipeline(String id, String options) throws IOException {
        put(
            "/_ingest/pipeline/" + id,
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"text\":\"vec\",\"paragraphs\":\"paragraph_vectors\"}"
                + options + "}}]}"
        );
    }

    private void createIndex(String index, String pipelineSetting, int dimension) throws IOException {
        put(
            "/" + index,
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":1,\"number_of_replicas\":0"
                + (pipelineSetting == null ? "" : "," + pipelineSetting)
                + "},\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},\"vec\":" + vectorField(dimension)
                + ",\"paragraph_vectors\":{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},\"vector\":" + vectorField(dimension) + "}}}}}"
        );
    }

    private Map<String, Object> bulk(String index, List<String> ids, List<String> sources) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < ids.size(); i++) {
            body.append("{\"index\":{\"_id\":\"").append(ids.get(i)).append("\"}}\n").append(sources.get(i)).append('\n');
        }
        Request request = new Request("POST", "/" + index + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(body.toString());
        return entityAsMap(client().performRequest(request));
    }

    private int count(String index) throws IOException {
        return (Integer) entityAsMap(client().performRequest(new Request("GET", "/" + index + "/_count"))).get("count");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> source(String index, String id) throws IOException {
        return (Map<String, Object>) entityAsMap(client().performRequest(new Request("GET", "/" + index + "/_doc/" + id))).get("_source");
    }


    private static String generated(Random random, int words) {
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < words; w++) {
            text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return text.toString();
    }

    @SuppressWarnings("unchecked")
    private long batches() throws IOException {
        Map<String, Object> stats = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/stats")));
        long total = 0;
        for (Object node : ((Map<String, Object>) stats.get("nodes")).values()) {
            Map<String, Object> model = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) node).get("models")).get(MODEL);
            total += ((Number) model.get("batches")).longValue();
        }
        return total;
    }

    public void testBulkOfOverAThousandDocumentsKeepsEveryVectorExact() throws IOException {
        createPipeline("it-bulk", ",\"ignore_missing\":true");
        createIndex("it-bulk", "\"index.default_pipeline\":\"it-bulk\"", 384);
        List<Golden> golden = GoldenVectors.documents();
        List<String> ids = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (int i = 0; i < golden.size(); i++) {
            ids.add("ref-" + i);
            sources.add("{\"text\":" + Json.quote(golden.get(i).text()) + "}");
        }
        Random random = new Random(42);
        for (int i = 0; i < 1000; i++) {
            ids.add("gen-" + i);
            sources.add("{\"text\":" + Json.quote(generated(random, 5 + random.nextInt(60))) + "}");
        }
        for (int start = 0; start < ids.size(); start += 400) {
            int end = Math.min(ids.size(), start + 400);
            Map<String, Object> response = bulk("it-bulk", ids.subList(start, end), sources.subList(start, end));
            assertEquals(response.toString().substring(0, Math.min(2000, response.toString().length())), false, response.get("errors"));
        }
        assertEquals(1030, count("it-bulk"));
        for (int i = 0; i < golden.size(); i++) {
            float[] stored = NodeCalls.floats(source("it-bulk", "ref-" + i).get("vec"));
            double cosine = GoldenVectors.cosine(golden.get(i).vector(), stored);
            assertTrue("reference " + i + " cosine " + cosine, cosine >= 0.9999);
        }
    }

    @SuppressWarnings("unchecked")
    public void testBadDocumentsFailAloneWithTheirReasons() throws IOException {
        createPipeline("it-strict", ",\"truncate\":false");
        createIndex("it-strict", "\"index.default_pipeline\":\"it-strict\"", 384);
        List<String> ids = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add("good-" + i);
            sources.add("{\"text\":\"good document number " + i + "\",\"paragraphs\":[\"one\",\"two\"]}");
        }
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("bad-number", "{\"text\":42,\"paragraphs\":[\"x\"]}");
        bad.put("bad-missing", "{\"paragraphs\":[\"x\"]}");
        bad.put("bad-object", "{\"text\":{\"inner\":\"x\"},\"paragraphs\":[\"x\"]}");
        bad.put("bad-array-element", "{\"text\":\"fine\",\"paragraphs\":[\"x\",7]}");
        bad.put("bad-too-long", "{\"text\":" + Json.quote("word ".repeat(700)) + ",\"paragraphs\":[\"x\"]}");
        Map<String, String> reasons = Map.of(
            "bad-number", "field [text] must be a string or an array of strings, got [42] (integer)",
            "bad-missing", "field [text] is missing",
            "bad-object", "field [text] must be a string or an array of strings, got an object",
            "bad-array-element", "field [paragraphs][1] must be a string, got [7] (integer)",
            "bad-too-long", "field [text] is longer than the 512 tokens model [bge-small-en-v1.5] takes, and truncate is false"
        );
        // interleave the bad ones with the good ones
        int at = 3;
        for (Map.Entry<String, String> entry : bad.entrySet()) {
            ids.add(at, entry.getKey());
            sources.add(at, entry.getValue());
            at += 4;
        }
        Map<String, Object> response = bulk("it-strict", ids, sources);
        assertEquals(true, response.get("errors"));
        List<Map<String, Object>> items = (List<Map<String, Object>>) response.get("items");
        assertEquals(25, items.size());
        for (Map<String, Object> item : items) {
            Map<String, Object> index = (Map<String, Object>) item.get("index");
            String id = (String) index.get("_id");
            if (id.startsWith("good-")) {
                assertEquals(id + ": " + index, 201, index.get("status"));
            } else {
                assertEquals(id, 400, index.get("status"));
                String reason = (String) ((Map<String, Object>) index.get("error")).get("reason");
                assertTrue(id + ": " + reason, reason.startsWith("[instruct_embedding] " + reasons.get(id)));
            }
        }
        assertEquals(20, count("it-strict"));
        Map<String, Object> good = source("it-strict", "good-7");
        assertEquals(384, ((List<?>) good.get("vec")).size());
        List<Map<String, Object>> paragraphs = (List<Map<String, Object>>) good.get("paragraph_vectors");
        assertEquals(List.of("one", "two"), paragraphs.stream().map(p -> p.get("text")).toList());
        assertEquals(384, ((List<?>) paragraphs.get(1).get("vector")).size());
    }

    public void testOneBulkOf256DocumentsIsAFewInferenceBatches() throws IOException {
        createPipeline("it-batches", ",\"ignore_missing\":true");
        createIndex("it-batches", "\"index.default_pipeline\":\"it-batches\"", 384);
        Random random = new Random(7);
        List<String> ids = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            ids.add("doc-" + i);
            sources.add("{\"text\":" + Json.quote(generated(random, 12)) + "}");
        }
        long before = batches();
        Map<String, Object> response = bulk("it-batches", ids, sources);
        assertEquals(false, response.get("errors"));
        long used = batches() - before;
        int batchSize = 32;  // instruct_embed.batch.max_size default
        logger.info("256 documents took {} inference batches", used);
        assertTrue("256 documents took " + used + " inference batches", used >= 1 && used <= (256 + batchSize - 1) / batchSize);
        assertEquals(256, count("it-batches"));
    }

    public void testFinalPipelineReindexAndUpdateByQuery() throws IOException {
        createPipeline("it-final", ",\"ignore_missing\":true");
        // plain texts without vectors yet (the target is mapped: an unmapped one fails the document)
        put(
            "/it-plain",
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":1,\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},\"vec\":"
                + vectorField(384) + "}}}"
        );
        List<String> ids = List.of("a", "b", "c");
        List<String> sources = List.of("{\"text\":\"alpha\"}", "{\"text\":\"beta\"}", "{\"text\":\"gamma\"}");
        bulk("it-plain", ids, sources);

        // _reindex into an index whose final pipeline embeds
        createIndex("it-final", "\"index.final_pipeline\":\"it-final\"", 384);
        Request reindex = new Request("POST", "/_reindex");
        reindex.addParameter("refresh", "true");
        reindex.setJsonEntity("{\"source\":{\"index\":\"it-plain\"},\"dest\":{\"index\":\"it-final\"}}");
        Map<String, Object> reindexed = entityAsMap(client().performRequest(reindex));
        assertEquals(3, reindexed.get("created"));
        assertEquals(384, ((List<?>) source("it-final", "b").get("vec")).size());

        // _update_by_query through the pipeline adds vectors in place
        Request update = new Request("POST", "/it-plain/_update_by_query");
        update.addParameter("pipeline", "it-final");
        update.addParameter("refresh", "true");
        Map<String, Object> updated = entityAsMap(client().performRequest(update));
        assertEquals(3, updated.get("updated"));
        float[] inPlace = NodeCalls.floats(source("it-plain", "c").get("vec"));
        float[] viaReindex = NodeCalls.floats(source("it-final", "c").get("vec"));
        assertTrue(GoldenVectors.cosine(inPlace, viaReindex) > 0.99999);
    }

    @SuppressWarnings("unchecked")
    public void testATargetPathThatCollidesWithTheDocumentFailsOnlyThatDocument() throws IOException {
        put("/_ingest/pipeline/it-collide", "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
            + "\",\"field_map\":{\"text\":\"meta.vec\"}}}]}");
        put(
            "/it-collide",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"it-collide\"},"
                + "\"mappings\":{\"properties\":{\"meta\":{\"properties\":{\"vec\":" + vectorField(384) + "}}}}}"
        );
        // the second document's "meta" is a string: its vector has nowhere to go
        Map<String, Object> response = bulk(
            "it-collide",
            List.of("fine", "collides", "also-fine"),
            List.of("{\"text\":\"one\"}", "{\"text\":\"two\",\"meta\":\"a string\"}", "{\"text\":\"three\"}")
        );
        List<Map<String, Object>> items = (List<Map<String, Object>>) response.get("items");
        List<Integer> statuses = items.stream().map(item -> (Integer) ((Map<String, Object>) item.get("index")).get("status")).toList();
        assertEquals(List.of(201, 400, 201), statuses);
        String reason = (String) ((Map<String, Object>) ((Map<String, Object>) items.get(1).get("index")).get("error")).get("reason");
        assertTrue(reason, reason.contains("meta.vec"));
        assertEquals(2, count("it-collide"));
    }

    public void testDimensionMismatchFailsTheDocumentNamingBothSizes() throws IOException {
        createPipeline("it-dims", ",\"ignore_missing\":true");
        createIndex("it-dims", "\"index.default_pipeline\":\"it-dims\"", 768);
        Request index = new Request("PUT", "/it-dims/_doc/1");
        index.setJsonEntity("{\"text\":\"hello\"}");
        ResponseException e = expectThrows(ResponseException.class, () -> client().performRequest(index));
        assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(
            e.getMessage(),
            e.getMessage().contains("target field [vec] has dimension [768] in the mapping, but model [bge-small-en-v1.5] gives [384]")
        );
    }

    public void testSingleDocumentIndexing() throws IOException {
        createPipeline("it-single", ",\"ignore_missing\":true");
        createIndex("it-single", "\"index.default_pipeline\":\"it-single\"", 384);
        Golden golden = GoldenVectors.documents().get(1);
        Request index = new Request("PUT", "/it-single/_doc/1");
        index.addParameter("refresh", "true");
        index.setJsonEntity("{\"text\":" + Json.quote(golden.text()) + "}");
        Response response = client().performRequest(index);
        assertEquals(201, response.getStatusLine().getStatusCode());
        double cosine = GoldenVectors.cosine(golden.vector(), NodeCalls.floats(source("it-single", "1").get("vec")));
        assertTrue(String.format(Locale.ROOT, "cosine %.6f", cosine), cosine >= 0.9999);
    }

    private static String reasonOf(ResponseException e) {
        return e.getMessage();  // holds the response body
    }

    public void testFieldMapsThatDestroyDataAreRefusedAtPipelineCreation() throws IOException {
        Map<String, String> refused = Map.of(
            "{\"title\":\"v\",\"body\":\"v\"}", "sources [title] and [body] are both mapped to target [v]",
            "{\"a.b\":\"a\"}", "target [a] of [a.b] and source [a.b] lie on one path",
            "{\"a\":\"b\",\"b\":\"c\"}", "target [b] of [a] is itself a source field",
            "{\"t\":\"v\",\"u\":\"v.w\"}", "targets [v] (of [t]) and [v.w] (of [u]) lie on one path"
        );
        for (Map.Entry<String, String> entry : refused.entrySet()) {
            Request request = new Request("PUT", "/_ingest/pipeline/it-destroys");
            request.setJsonEntity("{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":" + entry.getKey() + "}}]}");
            ResponseException e = expectThrows(ResponseException.class, () -> client().performRequest(request));
            assertEquals(entry.getKey(), 400, e.getResponse().getStatusLine().getStatusCode());
            String body = reasonOf(e);
            assertTrue(body, body.contains("\"property_name\":\"field_map\""));
            assertTrue(body, body.contains(entry.getValue()));
        }
        expectThrows(ResponseException.class, () -> client().performRequest(new Request("GET", "/_ingest/pipeline/it-destroys")));
    }

    @SuppressWarnings("unchecked")
    public void testAnUnmappedTargetFailsTheDocumentWithTheMappingToAdd() throws IOException {
        createPipeline("it-unmapped", ",\"ignore_missing\":true");
        put(
            "/it-unmapped",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"it-unmapped\"},"
                + "\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"}}}}"
        );
        Map<String, Object> response = bulk(
            "it-unmapped",
            List.of("one-vector", "paragraphs", "no-text"),
            List.of("{\"text\":\"hello\"}", "{\"paragraphs\":[\"a\",\"b\"]}", "{\"other\":1}")
        );
        List<Map<String, Object>> items = (List<Map<String, Object>>) response.get("items");
        List<Integer> statuses = items.stream().map(item -> (Integer) ((Map<String, Object>) item.get("index")).get("status")).toList();
        assertEquals(List.of(400, 400, 201), statuses);
        String vector = (String) ((Map<String, Object>) ((Map<String, Object>) items.get(0).get("index")).get("error")).get("reason");
        assertTrue(vector, vector.contains("target field [vec] is not mapped: map it as [knn_vector] with dimension [384]"));
        String nested = (String) ((Map<String, Object>) ((Map<String, Object>) items.get(1).get("index")).get("error")).get("reason");
        assertTrue(nested, nested.contains("target field [paragraph_vectors] is not mapped: map it as [nested]"));
        // nothing was mapped as float behind the user's back
        Map<String, Object> mapping = entityAsMap(client().performRequest(new Request("GET", "/it-unmapped/_mapping")));
        Object properties = ((Map<String, Object>) ((Map<String, Object>) mapping.get("it-unmapped")).get("mappings")).get("properties");
        assertFalse(mapping.toString(), properties.toString().contains("vec"));
    }

    @SuppressWarnings("unchecked")
    public void testBlankTextsAreNotEmbeddedAndTheDocumentIsIndexed() throws IOException {
        createPipeline("it-blank", "");
        createIndex("it-blank", "\"index.default_pipeline\":\"it-blank\"", 384);
        Map<String, Object> response = bulk(
            "it-blank",
            List.of("empty", "blank", "array", "stale"),
            List.of(
                "{\"text\":\"\",\"paragraphs\":[\"x\"]}",
                "{\"text\":\" \\n\\t \",\"paragraphs\":[\"x\"]}",
                "{\"text\":\"fine\",\"paragraphs\":[\"\",\"kept\",\"  \"]}",
                "{\"text\":\"\",\"vec\":[" + "0.1,".repeat(383) + "0.1],\"paragraphs\":[\"x\"]}"
            )
        );
        assertEquals(response.toString(), false, response.get("errors"));
        for (String id : List.of("empty", "blank", "stale")) {
            Map<String, Object> source = source("it-blank", id);
            // no vector: null, which also clears a stored one when the document is a partial update merged on the shard
            assertNull(id + ": " + source, source.get("vec"));
            assertEquals(1, ((List<?>) source.get("paragraph_vectors")).size());
        }
        Map<String, Object> array = source("it-blank", "array");
        List<Map<String, Object>> paragraphs = (List<Map<String, Object>>) array.get("paragraph_vectors");
        assertEquals(List.of("kept"), paragraphs.stream().map(p -> p.get("text")).toList());
        assertEquals(384, ((List<?>) array.get("vec")).size());
    }

    @SuppressWarnings("unchecked")
    public void testChunkedTextIsBoundedPerDocument() throws IOException {
        put(
            "/_ingest/pipeline/it-chunk-limit",
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
                + "\",\"field_map\":{\"text\":\"paragraph_vectors\"},\"chunking\":{\"method\":\"tokens\",\"max_tokens\":32}}}]}"
        );
        createIndex("it-chunk-limit", "\"index.default_pipeline\":\"it-chunk-limit\"", 384);
        put("/_cluster/settings", "{\"transient\":{\"instruct_embed.limits.max_document_chars\":500}}");
        try {
            Map<String, Object> response = bulk(
                "it-chunk-limit",
                List.of("short", "long"),
                List.of("{\"text\":\"a short text\"}", "{\"text\":" + Json.quote("word ".repeat(120)) + "}")
            );
            List<Map<String, Object>> items = (List<Map<String, Object>>) response.get("items");
            assertEquals(201, ((Map<String, Object>) items.get(0).get("index")).get("status"));
            Map<String, Object> failed = (Map<String, Object>) items.get(1).get("index");
            assertEquals(400, failed.get("status"));
            String reason = (String) ((Map<String, Object>) failed.get("error")).get("reason");
            assertTrue(reason, reason.contains("the document gives 600 characters to chunk (field [text]: 600), over the limit of 500 per document (instruct_embed.limits.max_document_chars)"));
        } finally {
            put("/_cluster/settings", "{\"transient\":{\"instruct_embed.limits.max_document_chars\":null}}");
        }
    }

    /** The processor counts all the fields of its field map together (issue #21, item 2): each under the limit, the document over it. */
    @SuppressWarnings("unchecked")
    public void testChunkedCharsAreCountedAcrossTheFieldsOfADocument() throws IOException {
        put(
            "/_ingest/pipeline/it-chunk-fields",
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
                + "\",\"field_map\":{\"title\":\"title_chunks\",\"text\":\"text_chunks\"},\"chunking\":{\"method\":\"tokens\",\"max_tokens\":32}}}]}"
        );
        String chunks = "{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},\"vector\":" + vectorField(384) + "}}";
        put(
            "/it-chunk-fields",
            "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"it-chunk-fields\"},"
                + "\"mappings\":{\"properties\":{\"title_chunks\":" + chunks + ",\"text_chunks\":" + chunks + "}}}"
        );
        put("/_cluster/settings", "{\"transient\":{\"instruct_embed.limits.max_document_chars\":500}}");
        try {
            String words300 = Json.quote("word ".repeat(60));
            String words200 = Json.quote("word ".repeat(40));
            Map<String, Object> response = bulk(
                "it-chunk-fields",
                List.of("over", "under"),
                List.of("{\"title\":" + words300 + ",\"text\":" + words300 + "}", "{\"title\":" + words200 + ",\"text\":" + words200 + "}")
            );
            List<Map<String, Object>> items = (List<Map<String, Object>>) response.get("items");
            Map<String, Object> failed = (Map<String, Object>) items.get(0).get("index");
            assertEquals(failed.toString(), 400, failed.get("status"));
            String reason = (String) ((Map<String, Object>) failed.get("error")).get("reason");
            assertTrue(reason, reason.contains("the document gives 600 characters to chunk (field [title]: 300, field [text]: 300), over the limit of 500"));
            assertEquals(201, ((Map<String, Object>) items.get(1).get("index")).get("status"));
        } finally {
            put("/_cluster/settings", "{\"transient\":{\"instruct_embed.limits.max_document_chars\":null}}");
        }
    }
}
