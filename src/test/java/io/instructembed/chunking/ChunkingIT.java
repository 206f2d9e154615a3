package io.instructembed.chunking;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import org.opensearch.client.Request;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chunking on a real node: a bulk of long documents becomes chunks with offsets and vectors, the
 * chunks go through the model in full batches, a bad document fails alone, and instruct_knn on the
 * nested chunk field ranks documents by their best chunk exactly as brute force over the stored
 * chunk vectors does, returning that chunk as an inner hit.
 */
public class ChunkingIT extends OpenSearchRestTestCase {
    private static final String MODEL = "bge-small-en-v1.5";
    private static final String VECTOR = "{\"type\":\"knn_vector\",\"dimension\":384,\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}";

    private void put(String path, String json) throws IOException {
        Request request = new Request("PUT", path);
        request.setJsonEntity(json);
        client().performRequest(request);
    }

    private Map<String, Object> post(String path, String json) throws IOException {
        Request request = new Request("POST", path);
        request.setJsonEntity(json);
        return entityAsMap(client().performRequest(request));
    }

    private void createChunkedIndex(String index, String chunking) throws IOException {
        put(
            "/_ingest/pipeline/" + index,
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"body\":\"body_chunks\"},\"chunking\":" + chunking
                + "}}]}"
        );
        put(
            "/" + index,
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":2,\"number_of_replicas\":0,\"index.default_pipeline\":\"" + index + "\"},"
                + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"text\"},\"body_chunks\":{\"type\":\"nested\",\"properties\":{"
                + "\"text\":{\"type\":\"text\"},\"offsets\":{\"type\":\"integer\",\"index\":false},\"vector\":" + VECTOR + "}}}}}"
        );
    }

    /** Long documents: four golden texts each, joined by blank lines. */
    private static List<String> longDocuments() throws IOException {
        List<Golden> golden = GoldenVectors.documents();
        List<String> documents = new ArrayList<>();
        for (int start = 0; start + 4 <= golden.size(); start += 3) {
            StringBuilder text = new StringBuilder();
            for (int i = start; i < start + 4; i++) {
                text.append(i == start ? "" : "\n\n").append(golden.get(i).text());
            }
            documents.add(text.toString());
        }
        return documents;
    }

    private Map<String, Object> modelStats() throws IOException {
        return NodeCalls.modelStats(client(), MODEL);
    }

    @SuppressWarnings("unchecked")
    private static long chunkingStat(Map<String, Object> stats, String name) {
        return ((Number) ((Map<String, Object>) stats.get("chunking")).get(name)).longValue();
    }

    private float[] embed(String text, String inputType) throws IOException {
        return NodeCalls.embed(client(), MODEL, text, inputType);
    }

    @SuppressWarnings("unchecked")
    public void testBulkOfLongDocumentsRanksByBestChunk() throws IOException {
        String index = "it-chunks";
        createChunkedIndex(index, "{\"method\":\"tokens\",\"max_tokens\":64,\"overlap_tokens\":16}");
        List<String> documents = longDocuments();
        Map<String, Object> before = modelStats();

        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < documents.size(); i++) {
            bulk.append("{\"index\":{\"_id\":\"doc-").append(i).append("\"}}\n{\"body\":").append(Json.quote(documents.get(i))).append("}\n");
        }
        bulk.append("{\"index\":{\"_id\":\"not-text\"}}\n{\"body\":{\"nested\":true}}\n");
        bulk.append("{\"index\":{\"_id\":\"empty\"}}\n{\"body\":\"\"}\n");
        Map<String, String> failures = bulkFailures(index, bulk.toString());
        assertEquals(failures.toString(), List.of("not-text"), new ArrayList<>(failures.keySet()));
        assertTrue(failures.get("not-text"), failures.get("not-text").contains("field [body] must be a string or an array of strings"));

        // every chunk is the source text at its offsets, and its vector is the model's for that text
        int totalChunks = 0;
        Map<String, List<Map<String, Object>>> chunksById = new LinkedHashMap<>();
        for (int i = 0; i < documents.size(); i++) {
            Map<String, Object> source = (Map<String, Object>) entityAsMap(
                client().performRequest(new Request("GET", "/" + index + "/_doc/doc-" + i))
            ).get("_source");
            List<Map<String, Object>> chunks = (List<Map<String, Object>>) source.get("body_chunks");
            assertTrue("document " + i + " has " + chunks.size() + " chunks", chunks.size() >= 2);
            for (Map<String, Object> chunk : chunks) {
                List<Integer> offsets = (List<Integer>) chunk.get("offsets");
                assertEquals(documents.get(i).substring(offsets.get(0), offsets.get(1)), chunk.get("text"));
            }
            chunksById.put("doc-" + i, chunks);
            totalChunks += chunks.size();
        }
        Map<String, Object> sample = randomFrom(chunksById.get("doc-" + between(0, documents.size() - 1)));
        assertTrue(GoldenVectors.cosine(embed((String) sample.get("text"), "document"), NodeCalls.floats(sample.get("vector"))) >= 0.9999);
        Map<String, Object> empty = (Map<String, Object>) entityAsMap(client().performRequest(new Request("GET", "/" + index + "/_doc/empty")))
            .get("_source");
        // an empty text has no chunks: null, so that a partial update with it also clears stored ones
        assertTrue(empty.toString(), empty.containsKey("body_chunks") && empty.get("body_chunks") == null);

        // chunks of the whole bulk shared full inference batches, and stats count them
        Map<String, Object> after = modelStats();
        long batches = ((Number) after.get("batches")).longValue() - ((Number) before.get("batches")).longValue();
        assertTrue(batches + " inference calls for " + totalChunks + " chunks", batches * 8 <= totalChunks);
        assertEquals(totalChunks, chunkingStat(after, "chunks") - chunkingStat(before, "chunks"));
        // the empty document has no text to chunk: it is not counted
        assertEquals(documents.size(), chunkingStat(after, "documents") - chunkingStat(before, "documents"));

        // a limit that the longest document just meets: a document of all of them goes over it and fails alone
        int longest = chunksById.values().stream().mapToInt(List::size).max().orElseThrow();
        put("/_cluster/settings", "{\"transient\":{\"instruct_embed.chunking.max_chunks_per_document\":" + longest + "}}");
        try {
            String overLimit = "{\"index\":{\"_id\":\"too-long\"}}\n{\"body\":" + Json.quote(String.join("\n\n", documents)) + "}\n"
                + "{\"index\":{\"_id\":\"doc-0\"}}\n{\"body\":" + Json.quote(documents.get(0)) + "}\n";
            failures = bulkFailures(index, overLimit);
        } finally {
            put("/_cluster/settings", "{\"transient\":{\"instruct_embed.chunking.max_chunks_per_document\":null}}");
        }
        assertEquals(failures.toString(), List.of("too-long"), new ArrayList<>(failures.keySet()));
        assertTrue(failures.get("too-long"), failures.get("too-long").matches(
            "\\[instruct_embedding\\] the document gives \\d+ chunks \\(field \\[body\\]: \\d+\\), over the limit of " + longest
                + " per document \\(instruct_embed.chunking.max_chunks_per_document\\); raise the limit or chunking.max_tokens"
        ));
        assertEquals(1, chunkingStat(modelStats(), "documents_over_limit") - chunkingStat(before, "documents_over_limit"));

        // best-chunk ranking equals brute force over the stored chunk vectors
        for (Golden query : GoldenVectors.queries()) {
            float[] queryVector = embed(query.text(), "query");
            Map<String, Double> best = new LinkedHashMap<>();
            Map<String, String> bestText = new LinkedHashMap<>();
            for (Map.Entry<String, List<Map<String, Object>>> doc : chunksById.entrySet()) {
                for (Map<String, Object> chunk : doc.getValue()) {
                    double score = (1 + GoldenVectors.cosine(queryVector, NodeCalls.floats(chunk.get("vector")))) / 2;
                    if (score > best.getOrDefault(doc.getKey(), -1.0)) {
                        best.put(doc.getKey(), score);
                        bestText.put(doc.getKey(), (String) chunk.get("text"));
                    }
                }
            }
            List<String> expected = new ArrayList<>(best.keySet());
            expected.sort(Comparator.comparingDouble(id -> -best.get(id)));
            int k = 5;
            Map<String, Object> result = post(
                "/" + index + "/_search",
                "{\"size\":" + k + ",\"_source\":false,\"query\":{\"instruct_knn\":{\"body_chunks\":{\"query_text\":" + Json.quote(query.text())
                    + ",\"task\":\"retrieval\",\"k\":" + k + ",\"method_parameters\":{\"ef_search\":200}}}}}"
            );
            List<Map<String, Object>> hits = (List<Map<String, Object>>) ((Map<String, Object>) result.get("hits")).get("hits");
            assertEquals(k, hits.size());
            for (int rank = 0; rank < k; rank++) {
                Map<String, Object> hit = hits.get(rank);
                String id = (String) hit.get("_id");
                assertEquals("query [" + query.text() + "] rank " + rank, best.get(expected.get(rank)), best.get(id), 1e-4);
                assertEquals(best.get(id), ((Number) hit.get("_score")).doubleValue(), 1e-4);
                Map<String, Object> inner = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) hit.get("inner_hits")).get(
                    "body_chunks"
                )).get("hits");
                Map<String, Object> innerHit = ((List<Map<String, Object>>) inner.get("hits")).get(0);
                Map<String, Object> chunkSource = (Map<String, Object>) innerHit.get("_source");
                assertEquals(bestText.get(id), chunkSource.get("text"));
                assertNotNull(chunkSource.get("offsets"));
                assertNull("the vector is left out of the inner hit", chunkSource.get("vector"));
            }
        }
    }

    /** Sends a bulk; answers the failed items' ids with their reasons (each a 400). */
    @SuppressWarnings("unchecked")
    private Map<String, String> bulkFailures(String index, String body) throws IOException {
        Request request = new Request("POST", "/" + index + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity(body);
        Map<String, String> failures = new LinkedHashMap<>();
        for (Map<String, Object> item : (List<Map<String, Object>>) entityAsMap(client().performRequest(request)).get("items")) {
            Map<String, Object> result = (Map<String, Object>) item.get("index");
            if (result.get("error") != null) {
                failures.put((String) result.get("_id"), (String) ((Map<String, Object>) result.get("error")).get("reason"));
                assertEquals(400, result.get("status"));
            }
        }
        return failures;
    }

    public void testChunkingErrors() throws IOException {
        // a max_tokens the model cannot take whole with its prompt
        ResponseException e = expectThrows(
            ResponseException.class,
            () -> put(
                "/_ingest/pipeline/it-chunks-bad",
                "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
                    + "\",\"field_map\":{\"body\":\"body_chunks\"},\"chunking\":{\"max_tokens\":511}}}]}"
            )
        );
        assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(e.getMessage(), e.getMessage().contains("takes at most 510 tokens of text per chunk after its document prompt"));

        // chunks need a nested target: a knn_vector target fails the document, naming the field
        put("/_ingest/pipeline/it-chunks-flat", "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL
            + "\",\"field_map\":{\"body\":\"body_vector\"},\"chunking\":{\"method\":\"sentences\"}}}]}");
        put("/it-chunks-flat", "{\"settings\":{\"index.knn\":true,\"index.default_pipeline\":\"it-chunks-flat\"},\"mappings\":{\"properties\":{\"body_vector\":"
            + VECTOR + "}}}");
        Request request = new Request("PUT", "/it-chunks-flat/_doc/1");
        request.setJsonEntity("{\"body\":\"Some text.\"}");
        e = expectThrows(ResponseException.class, () -> client().performRequest(request));
        assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(e.getMessage(), e.getMessage().contains("target field [body_vector] is mapped as [knn_vector], but arrays of texts and chunks are written as objects"));

        // inner_hits belongs to nested chunk fields
        e = expectThrows(ResponseException.class, () -> post("/it-chunks-flat/_search",
            "{\"query\":{\"instruct_knn\":{\"body_vector\":{\"query_text\":\"x\",\"k\":3,\"model_id\":\"" + MODEL + "\",\"inner_hits\":{}}}}}"));
        assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(e.getMessage(), e.getMessage().contains("[inner_hits] applies to a nested field of chunks"));
    }
}
