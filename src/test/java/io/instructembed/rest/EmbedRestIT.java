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

    public void testBodiesPastTheParsersLimitsOrWithTrailingContentAre400() {
        String digits = "1".repeat(5000);
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"a\"],\"task\":" + digits + "}", "not valid JSON");
        assertBadRequest("{\"" + "k".repeat(65536) + "\":1,\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"a\"]}", "not valid JSON");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"a\"]} trailing garbage", "not valid JSON");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"a\"]}{\"texts\":[\"b\"]}", "content after its JSON object");
    }

    public void testTextsMustBeNonBlankStrings() {
        // numbers and booleans were embedded as "1" and "true"; empty texts as the special tokens alone
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[1,true]}", "[texts][0] must be a string, got [1]");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"fine\",true]}", "[texts][1] must be a string, got [true]");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"fine\",\"\"]}", "[texts][1] is empty");
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\" \\n\\t\"]}", "[texts][0] is blank");
        // invisible texts embed as the special tokens alone: zero-width and no-break spaces, NUL, U+2060, U+180E
        assertBadRequest("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"\\u200b\\u00a0\\u0000\\u2060\\u180e\"]}", "[texts][0] is blank");
    }

    public void testTextLimitsAreDynamicClusterSettings() throws IOException {
        Request settings = new Request("PUT", "/_cluster/settings");
        settings.setJsonEntity("{\"transient\":{\"instruct_embed.limits.max_text_chars\":20,\"instruct_embed.limits.max_request_chars\":30}}");
        client().performRequest(settings);
        try {
            assertBadRequest(
                "{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"short\",\"a text longer than twenty\"]}",
                "[texts][1] has 25 characters, over the limit of 20 per text (instruct_embed.limits.max_text_chars)"
            );
            assertBadRequest(
                "{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"0123456789\",\"0123456789\",\"0123456789x\"]}",
                "[texts] have 31 characters in all, over the limit of 30 per request (instruct_embed.limits.max_request_chars)"
            );
            assertEquals(384, vector(embed("{\"model_id\":\"bge-small-en-v1.5\",\"texts\":[\"0123456789\",\"0123456789\"]}"), 1).length);
        } finally {
            settings.setJsonEntity("{\"transient\":{\"instruct_embed.limits.max_text_chars\":null,\"instruct_embed.limits.max_request_chars\":null}}");
            client().performRequest(settings);
        }
    }

    @SuppressWarnings("unchecked")
    public void testAHugeTextCostsWhatTheModelKeeps() throws IOException {
        // 90,000 characters (under the default per-text limit): cut to 512 tokens before tokenising
        String huge = "Neurons talk through synapses. ".repeat(3000);
        long start = System.nanoTime();
        Map<String, Object> response = embed(embedBody("bge-small-en-v1.5", List.of(huge), "document", null));
        long millis = (System.nanoTime() - start) / 1_000_000;
        Map<String, Object> embedding = ((List<Map<String, Object>>) response.get("embeddings")).get(0);
        assertEquals(true, embedding.get("truncated"));
        assertEquals(512, embedding.get("tokens"));
        // the vector is the one of the text the model keeps, whatever follows it
        float[] longer = vector(embed(embedBody("bge-small-en-v1.5", List.of(huge.substring(0, 30_000)), "document", null)), 0);
        assertTrue(GoldenVectors.cosine(vector(response, 0), longer) > 0.99999);
        assertTrue("embedding a 90,000-character text took " + millis + " ms", millis < 5_000);
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
        // the shipped packs, the four pack archives and two test packs in the node's config/instruct-embed/packs
        assertEquals(
            java.util.Set.of(
                "all-minilm-l6-v2",
                "bge-small-zh-v1.5",
                "e5-small-v2",
                "e5-small-v2-int8",
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
