package io.instructembed.field;

import io.instructembed.support.NodeLog;
import org.junit.After;
import org.junit.Before;
import org.opensearch.client.Request;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Mappings and pipelines that could not work are refused when they are created, on a real node,
 * with a 400 that names the field and the reason (issue #20, items 3, 4 and 7), and the node keeps
 * serving afterwards.
 */
public class RefusedMappingsIT extends OpenSearchRestTestCase {
    private static final String MODEL = "bge-small-en-v1.5";
    private static final String KNN = "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},\"mappings\":";

    private static String field(String extra) {
        return "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"" + extra + "}";
    }

    private NodeLog log;

    @Before
    public void watchTheLog() throws IOException {
        log = NodeLog.fromNow();
    }

    /**
     * A refused mapping or pipeline is a client's error: logged at DEBUG at most, as OpenSearch
     * logs client errors, never at ERROR or WARN, which any client could otherwise fill the log
     * with (issue #21, item 3).
     */
    @After
    public void refusalsAreNotLoggedAsErrors() throws IOException {
        for (String line : log.lines()) {
            assertFalse(line, line.contains("][ERROR]"));
            assertFalse(line, line.contains("][WARN ]") && (line.contains("instruct") || line.contains("Transformer")));
        }
    }

    private Map<String, Object> call(String method, String path, String json) throws IOException {
        Request request = new Request(method, path);
        if (json != null) {
            request.setJsonEntity(json);
        }
        return entityAsMap(client().performRequest(request));
    }

    private void assertRefused(String method, String path, String json, String... mentions) {
        Request request = new Request(method, path);
        request.setJsonEntity(json);
        ResponseException e = expectThrows(ResponseException.class, () -> client().performRequest(request));
        assertEquals(e.getMessage(), 400, e.getResponse().getStatusLine().getStatusCode());
        for (String mention : mentions) {
            assertTrue(e.getMessage() + " should name " + mention, e.getMessage().contains(mention));
        }
    }

    private static String newIndex() {
        return "/it-refused-" + randomAlphaOfLength(6).toLowerCase(Locale.ROOT);
    }

    private void assertServing() throws IOException {
        assertNotNull(call("GET", "/_cluster/health", null).get("status"));
    }

    private static String pipeline(String fieldMap) {
        return "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":" + fieldMap + "}}]}";
    }

    public void testMetadataFieldsInAFieldMapAreRefused() throws IOException {
        for (String target : List.of("_id", "_index", "_routing", "_source", "_version", "_if_seq_no", "_op_type", "_ingest")) {
            assertRefused("PUT", "/_ingest/pipeline/it-refused-meta", pipeline("{\"title\":\"" + target + "\"}"),
                "target [" + target + "] of [title]", "metadata field [" + target + "]");
        }
        assertRefused("PUT", "/_ingest/pipeline/it-refused-meta", pipeline("{\"title\":\"_ingest.vector\"}"), "[_ingest.vector]", "lies under");
        assertRefused("PUT", "/_ingest/pipeline/it-refused-meta", pipeline("{\"title\":\"_source.title_vector\"}"), "[_source.title_vector]",
            "[title_vector]");
        assertRefused("PUT", "/_ingest/pipeline/it-refused-meta", pipeline("{\"_id\":\"id_vector\"}"), "source [_id]", "not text of the document");
        assertRefused(
            "POST",
            "/_ingest/pipeline/_simulate",
            "{\"pipeline\":" + pipeline("{\"title\":\"_id\"}") + ",\"docs\":[{\"_source\":{\"title\":\"a text\"}}]}",
            "target [_id] of [title]"
        );
        expectThrows(ResponseException.class, () -> call("GET", "/_ingest/pipeline/it-refused-meta", null));
        // a field that only looks like metadata is fine, and the pipeline works
        call("PUT", "/_ingest/pipeline/it-refused-ok", pipeline("{\"title\":\"_title_vector\"}"));
        Map<String, Object> simulated = call(
            "POST",
            "/_ingest/pipeline/it-refused-ok/_simulate",
            "{\"docs\":[{\"_source\":{\"title\":\"a text\"}}]}"
        );
        assertTrue(simulated.toString(), simulated.toString().contains("_title_vector"));
        call("DELETE", "/_ingest/pipeline/it-refused-ok", null);
    }

    /** What the mapping transformer refuses, on each action whose mappings it transforms: a 400 naming the field. */
    public void testEveryActionRefusesABadInstructTextField() throws IOException {
        String unknownModel = "{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"no-such-model\"}}}";
        String named = "model [no-such-model] not found";
        assertRefused("PUT", newIndex(), KNN + unknownModel + "}", "field [body] of type [instruct_text]", named);
        call("PUT", "/it-refused-put", KNN + "{\"properties\":{\"title\":{\"type\":\"text\"}}}}");
        assertRefused("PUT", "/it-refused-put/_mapping", unknownModel, named);
        assertRefused("PUT", "/_component_template/it-refused-ct", "{\"template\":{\"mappings\":" + unknownModel + "}}", named);
        assertRefused(
            "PUT",
            "/_index_template/it-refused-it",
            "{\"index_patterns\":[\"it-refused-it-*\"],\"template\":{\"mappings\":" + unknownModel + "}}",
            named
        );
        assertRefused("PUT", "/_template/it-refused-lt", "{\"index_patterns\":[\"it-refused-lt-*\"],\"mappings\":" + unknownModel + "}", named);
        // the field's other parameters, checked by the processor the field will run
        assertRefused("PUT", newIndex(), KNN + "{\"properties\":{\"body\":" + field(",\"task\":\"dancing\"") + "}}}", "[task]", "dancing");
        assertRefused(
            "PUT",
            newIndex(),
            KNN + "{\"properties\":{\"body\":" + field(",\"chunking\":{\"max_tokens\":9999}") + "}}}",
            "[chunking] [max_tokens] is [9999]"
        );
        assertRefused(
            "PUT",
            newIndex(),
            KNN + "{\"properties\":{\"n\":{\"type\":\"nested\",\"properties\":{\"body\":" + field("") + "}}}}}",
            "field [n.body]",
            "nested"
        );
        assertRefused("PUT", newIndex(), KNN + "{\"properties\":{\"body\":{\"type\":\"instruct_text\"}}}}", "[model_id] is required");
        // the declaration's own shape, read by the one spec parser before any pack is looked at
        assertRefused(
            "PUT",
            newIndex(),
            KNN + "{\"properties\":{\"body\":" + field(",\"vector\":{\"dimension\":384}") + "}}}",
            "field [body] of type [instruct_text]: [vector] has no option [dimension]",
            "the dimension comes from the model"
        );
        assertRefused(
            "PUT",
            newIndex(),
            KNN + "{\"properties\":{\"body\":" + field(",\"chunking\":{\"max_tokens\":4}") + "}}}",
            "field [body] of type [instruct_text]: [chunking] [max_tokens] must be at least 8, got [4]"
        );
        assertRefused(
            "PUT",
            newIndex(),
            KNN + "{\"properties\":{\"body\":" + field(",\"skip_existing\":\"sometimes\"") + "}}}",
            "field [body] of type [instruct_text]: [skip_existing] must be true or false, got [sometimes]"
        );
        assertServing();
    }

    public void testInstructTextInADynamicTemplateIsRefused() throws IOException {
        String templates = "\"dynamic_templates\":[{\"semantic\":{\"match\":\"*_sem\",\"mapping\":" + field("") + "}}]";
        assertRefused("PUT", newIndex(), KNN + "{" + templates + "}}", "dynamic template [semantic]", "[instruct_text]", "under \\\"properties\\\"");
        call("PUT", "/it-refused-dt", KNN + "{\"properties\":{\"title\":{\"type\":\"text\"}}}}");
        assertRefused("PUT", "/it-refused-dt/_mapping", "{" + templates + "}", "dynamic template [semantic]");
        assertRefused("PUT", "/_component_template/it-refused-dt", "{\"template\":{\"mappings\":{" + templates + "}}}", "dynamic template [semantic]");
        assertRefused(
            "PUT",
            "/_index_template/it-refused-dt",
            "{\"index_patterns\":[\"it-refused-dt-*\"],\"template\":{\"mappings\":{" + templates + "}}}",
            "dynamic template [semantic]"
        );
        // nothing got in: a document with a matching name is mapped as OpenSearch would map it, not as instruct_text
        call("PUT", "/it-refused-dt/_doc/1?refresh=true", "{\"body_sem\":\"a text\"}");
        assertServing();
    }

    public void testInstructTextAsAMultiFieldIsRefused() {
        assertRefused(
            "PUT",
            newIndex(),
            KNN + "{\"properties\":{\"title\":{\"type\":\"text\",\"fields\":{\"sem\":" + field("") + "}}}}}",
            "field [title.sem] of type [instruct_text]",
            "multi-field of [title]"
        );
    }

    public void testInstructTextInADisabledObjectIsRefused() throws IOException {
        String disabled = "{\"properties\":{\"meta\":{\"type\":\"object\",\"enabled\":false,\"properties\":{\"body\":" + field("") + "}}}}";
        assertRefused("PUT", newIndex(), KNN + disabled + "}", "field [meta.body] of type [instruct_text]", "inside the object [meta]", "enabled");
        // an existing disabled object cannot take one later either
        call("PUT", "/it-refused-off", KNN + "{\"properties\":{\"meta\":{\"type\":\"object\",\"enabled\":false}}}}");
        assertRefused("PUT", "/it-refused-off/_mapping", disabled, "field [meta.body]", "inside the object [meta]");
    }

    public void testCopyToAnInstructTextFieldIsRefused() throws IOException {
        assertRefused(
            "PUT",
            newIndex(),
            KNN + "{\"properties\":{\"title\":{\"type\":\"text\",\"copy_to\":\"body\"},\"body\":" + field("") + "}}}",
            "field [body] of type [instruct_text]",
            "[copy_to] of [title]"
        );
        // nor a copy_to added later by a put-mapping that does not mention the instruct_text field
        call("PUT", "/it-refused-copy", KNN + "{\"properties\":{\"body\":" + field("") + "}}}");
        assertRefused("PUT", "/it-refused-copy/_mapping", "{\"properties\":{\"title\":{\"type\":\"text\",\"copy_to\":[\"body\"]}}}",
            "field [body]", "[copy_to] of [title]");
        assertServing();
    }

    /** The k-NN zip of the test node has no native libraries: faiss must be refused, not accepted to stop the node at the first write. */
    public void testFaissWithoutItsLibrariesIsRefusedAndTheNodeKeepsServing() throws IOException {
        for (String engine : List.of("faiss", "nmslib")) {
            assertRefused(
                "PUT",
                newIndex(),
                KNN + "{\"properties\":{\"body\":" + field(",\"vector\":{\"method\":{\"engine\":\"" + engine + "\"}}") + "}}}",
                "field [body] of type [instruct_text]: [vector.method.engine] [" + engine + "]",
                "use \\\"engine\\\": \\\"lucene\\\""
            );
        }
        call("PUT", "/it-refused-engine", KNN + "{\"properties\":{\"title\":{\"type\":\"text\"}}}}");
        assertRefused(
            "PUT",
            "/it-refused-engine/_mapping",
            "{\"properties\":{\"body\":" + field(",\"chunking\":false,\"vector\":{\"method\":{\"engine\":\"faiss\"}}") + "}}",
            "[vector.method.engine] [faiss]"
        );
        // lucene is accepted and written, and the node still answers
        call("PUT", "/it-refused-engine/_mapping", "{\"properties\":{\"body\":" + field(",\"chunking\":false,\"vector\":{\"method\":{\"engine\":\"lucene\"}}") + "}}");
        Map<String, Object> indexed = call("PUT", "/it-refused-engine/_doc/1?refresh=true", "{\"body\":\"Neurons pass signals across synapses.\"}");
        assertEquals("created", indexed.get("result"));
        assertServing();
    }
}
