package io.instructembed.rest;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.GoldenVectors.Golden;
import io.instructembed.support.Json;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code _embed} and {@code GET models} on a real node with the plugin zip and k-NN installed. */
public class EmbedRestIT extends OpenSearchRestTestCase {

    private static final String EMBED = "/_plugins/_instruct_embed/_embed";

    private Map<String, Object> embed(String json) throws IOException {
        Request request = new Request("POST", EMBED);
        request.setJsonEntity(json);
        return entityAsMap(client().performRequest(request));
    }

    private static String embedBody(String model, List<String> texts, String inputType, String task) {
        StringBuilder body = new StringBuilder("{\"model_id\":\"").append(model).append("\",\"input_type\":\"").append(inputType).append("\"");
        if (task != null) {
            body.append(",\"task\":\"").append(task).append("\"");
        }
        body.append(",\"texts\":[");
        for (int i = 0; i < texts.size(); i++) {
            body.append(i == 0 ? "" : ",").append(Json.quote(texts.get(i)));
        }
        return body.append("]}").toString();
    }

    @SuppressWarnings("unchecked")
    private static float[] vector(Map<String, Object> response, int index) {
        List<Map<String, Object>> embeddings = (List<Map<String, Object>>) response.get("embeddings");
        List<Number> values = (List<Number>) embeddings.get(index).get("vector");
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = values.get(i).floatValue();
        }
        return vector;
    }

    public void testDocumentsReproduceGoldenVectorsInBatches() throws IOException {
        List<Golden> golden = GoldenVectors.documents();
        // several requests of several texts each: batching and padding must not change a vector
        for (int start = 0; start < golden.size(); start += 7) {
            List<Golden> slice = golden.subList(start, Math.min(golden.size(), start + 7));
            List<String> texts = new ArrayList<>();
            slice.forEach(g -> texts.add(g.text()));
            Map<String, Object> response = embed(embedBody("bge-small-en-v1.5", texts, "document", null));
            assertEquals(384, response.get("dimensions"));
            for (int i = 0; i < slice.size(); i++) {
                double cosine = GoldenVectors.cosine(slice.get(i).vector(), vector(response, i));
                assertTrue("document " + (start + i) + " cosine " + cosine, cosine >= 0.9999);
            }
        }
    }

    public void testEachDocumentAloneReproducesItsGoldenVector() throws IOException {
        for (Golden g : GoldenVectors.documents()) {
            Map<String, Object> response = embed(embedBody("bge-small-en-v1.5", List.of(g.text()), "document", null));
            double cosine = GoldenVectors.cosine(g.vector(), vector(response, 0));
            assertTrue("cosine " + cosine + " for " + g.text().substring(0, Math.min(30, g.text().length())), cosine >= 0.9999);
        }
    }

    public void testQueriesReproduceGoldenVectorsWithTheRetrievalInstruction() throws IOException {
        List<Golden> golden = GoldenVectors.queries();
        List<String> texts = golden.stream().map(Golden::text).toList();
        Map<String, Object> response = embed(embedBody("bge-small-en-v1.5", texts, "query", "retrieval"));
        for (int i = 0; i < golden.size(); i++) {
            double cosine = GoldenVectors.cosine(golden.get(i).vector(), vector(response, i));
            assertTrue("query " + i + " cosine " + cosine, cosine >= 0.9999);
        }
        // the same text embedded as a document differs: the instruction is really applied
        Map<String, Object> asDocument = embed(embedBody("bge-small-en-v1.5", List.of(texts.get(0)), "document", null));
        assertTrue(GoldenVectors.cosine(golden.get(0).vector(), vector(asDocument, 0)) < 0.999);
    }

    @SuppressWarnings("unchecked")
    public void testTruncationIsReported() throws IOException {
        String longText = "word ".repeat(1000);
        Map<String, Object> response = embed(embedBody("bge-small-en-v1.5", List.of(longText, "short"), "document", null));
        List<Map<String, Object>> embeddings = (List<Map<String, Object>>) response.get("embeddings");
        assertEquals(true, embeddings.get(0).get("truncated"));
        assertEquals(512, embeddings.get(0).get("tokens"));
        assertEquals(false, embeddings.get(1).get("truncated"));
        assertEquals(3, embeddings.get(1).get("tokens"));
    }

    public void testUnknownModelIs404() {
        ResponseException e = expectThrows(ResponseException.class, () -> embed("{\"model_id\":\"no-such-model\",\"texts\":[\"x\"]}"));
        assertEquals(404, e.getResponse().getStatusLine().getStatusCode());
        assertTrue(e.getMessage().contains("model [no-such-model] not found"));
    }

    public void testBadBodiesAre400NamingTheField() {
        assertBadRequest("{\"texts\":[\"x\"]}", "[model_id] is required");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[]}", "[texts] must be a non-empty array");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"x\"],\"input_type\":\"sideways\"}", "[input_type] must be one of [query, document]");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"x\"],\"colour\":\"red\"}", "unknown field [colour]");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"x\"],\"input_type\":\"query\",\"task\":\"dancing\"}", "has no task [dancing]");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"x\"],\"instruction\":\"Find it: \"}", "[instruction] applies to input_type [query] only");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[{\"text\":\"x\"}]}", "texts");
        assertBadRequest("not json", "");
        assertBadRequest("{\"model_id\":\"test-pack-without-weights\",\"texts\":[\"x\"]}", "has no weights installed");
        assertBadRequest("{\"model_id\":\"test-pack-invalid\",\"texts\":[\"x\"]}", "has an invalid pack");
    }

    private void assertBadRequest(String body, String reason) {
        ResponseException e = expectThrows(ResponseException.class, () -> embed(body));
        assertEquals(body, 400, e.getResponse().getStatusLine().getStatusCode());
        assertTrue("expected [" + reason + "] in " + e.getMessage(), e.getMessage().contains(reason));
    }

    public void testASingleStringIsAOneTextArray() throws IOException {
        // as elsewhere in OpenSearch, a lone value stands for an array of one
        Map<String, Object> response = embed("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":\"hello\"}");
        assertEquals(384, vector(response, 0).length);
    }

    public void testFreeInstructionReplacesTheTask() throws IOException {
        Golden query = GoldenVectors.queries().get(0);
        Map<String, Object> response = embed(
            "{\"model_id\":\"bge-small-en-v1.5\",\"input_type\":\"query\",\"instruction\":\"Represent this sentence for searching relevant passages: \",\"texts\":["
                + Json.quote(query.text())
                + "]}"
        );
        assertTrue(GoldenVectors.cosine(query.vector(), vector(response, 0)) >= 0.9999);
    }

    @SuppressWarnings("unchecked")
    public void testModelsListsEveryPackWithItsState() throws Exception {
        Response response = client().performRequest(new Request("GET", "/_plugins/_instruct_embed/models"));
        Map<String, Object> body = entityAsMap(response);
        List<Map<String, Object>> models = (List<Map<String, Object>>) body.get("models");
        Map<String, Map<String, Object>> byId = new java.util.HashMap<>();
        models.forEach(m -> byId.put((String) m.get("model_id"), m));
        // the shipped packs, plus two test packs in the node's config/instruct-embed/packs
        assertEquals(
            java.util.Set.of(
                "bge-small-en-v1.5",
                "bge-small-en-v1.5-int8",
                "sarashina-embedding-v2-1b",
                "sfr-embedding-2-r",
                "sfr-embedding-mistral",
                "test-pack-without-weights",
                "test-pack-invalid"
            ),
            byId.keySet()
        );
        assertEquals("available", byId.get("bge-small-en-v1.5").get("state"));
        assertEquals(384, byId.get("bge-small-en-v1.5").get("dimensions"));
        assertEquals(1792, byId.get("sarashina-embedding-v2-1b").get("dimensions"));
        assertEquals(4096, byId.get("sfr-embedding-mistral").get("dimensions"));
        // stand-in weights for the large packs sit where users put theirs
        for (String id : List.of("sarashina-embedding-v2-1b", "sfr-embedding-2-r", "sfr-embedding-mistral")) {
            assertEquals(id, "available", byId.get(id).get("state"));
            assertEquals("last_token", byId.get(id).get("pooling"));
        }
        Map<String, Object> missing = byId.get("test-pack-without-weights");
        assertEquals("weights_missing", missing.get("state"));
        assertEquals(List.of("model.onnx", "model.onnx_data", "tokenizer.json"), missing.get("missing_files"));
        assertTrue((String) missing.get("install_dir"), ((String) missing.get("install_dir")).endsWith("config/instruct-embed/packs/test-pack-without-weights"));
        assertEquals("this test pack never gets weights", missing.get("how_to_get_weights"));
        // a broken manifest does not stop the node: it is listed with every problem
        Map<String, Object> invalid = byId.get("test-pack-invalid");
        assertEquals("invalid", invalid.get("state"));
        String problems = invalid.get("problems").toString();
        assertTrue(problems, problems.contains("[dimensions] must be a positive integer"));
        assertTrue(problems, problems.contains("[pooling] must be one of [cls, mean, last_token]"));
        assertTrue(problems, problems.contains("[model.file] must be a plain file name"));
        // the default model was preloaded at start, on CPU
        Map<String, Object> nodes = (Map<String, Object>) byId.get("bge-small-en-v1.5").get("nodes");
        assertEquals(1, nodes.size());
        assertBusy(() -> {
            Map<String, Object> one = entityAsMap(client().performRequest(new Request("GET", "/_plugins/_instruct_embed/models/bge-small-en-v1.5")));
            Map<String, Object> node = (Map<String, Object>) ((Map<String, Object>) one.get("nodes")).values().iterator().next();
            assertEquals("loaded", node.get("state"));
            assertEquals("cpu", node.get("device"));
        });
    }

    public void testUnknownModelInModelsIs404() {
        ResponseException e = expectThrows(
            ResponseException.class,
            () -> client().performRequest(new Request("GET", "/_plugins/_instruct_embed/models/nope"))
        );
        assertEquals(404, e.getResponse().getStatusLine().getStatusCode());
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
