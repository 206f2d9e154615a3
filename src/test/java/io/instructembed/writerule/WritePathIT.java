package io.instructembed.writerule;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.Json;
import io.instructembed.support.NodeCalls;
import org.opensearch.client.Request;
import org.opensearch.client.RequestOptions;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.WarningsHandler;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The write rule on a real node, as a matrix: every write form OpenSearch offers (index, create,
 * each _update form, each _bulk form, _update_by_query, _reindex, nulls, blanks, removals, dotted
 * keys, vectors sent by the client) against every way of declaring embeddings (an instruct_text
 * field at the top, inside an object, unchunked; a pipeline without and with chunking and
 * skip_existing). After each write, the document's vectors are those of its current text (equal to
 * _embed of each chunk), or there are none when it has no text, or the write was refused with a 4xx
 * and the document is as it was. No case may answer 5xx.
 */
public class WritePathIT extends OpenSearchRestTestCase {
    private static final String MODEL = "bge-small-en-v1.5";
    private static final String T1 = "The mitochondria is the powerhouse of the cell.";
    private static final String T2 = "Neurons communicate through synapses and neurotransmitters.";
    private static final String KNN = "{\"type\":\"knn_vector\",\"dimension\":384,\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}";
    private static final String FINGERPRINT = "{\"type\":\"keyword\",\"index\":false,\"doc_values\":false}";

    /** One way of declaring embeddings: where the text is, where its vectors are. */
    record Config(String index, String textPath, String vectorsPath, boolean chunked, String properties, String pipeline) {
        boolean instructText() {
            return pipeline == null;
        }

        /** The object a client must ask for by name to get vectors back (instruct_text leaves them out otherwise). */
        String sourceIncludes() {
            return instructText() ? textPath + "," + textPath + "_instruct" : null;
        }
    }

    private static final String TEXT_FIELD = "{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"";

    private static final List<Config> CONFIGS = List.of(
        new Config("wp-text", "body", "body_instruct.chunks", true, "{\"body\":" + TEXT_FIELD + "},\"n\":{\"type\":\"integer\"}}", null),
        new Config(
            "wp-object",
            "meta.summary",
            "meta.summary_instruct.chunks",
            true,
            "{\"meta\":{\"properties\":{\"summary\":" + TEXT_FIELD + "}}},\"n\":{\"type\":\"integer\"}}",
            null
        ),
        new Config("wp-flat", "body", "body_instruct.vector", false, "{\"body\":" + TEXT_FIELD + ",\"chunking\":false},\"n\":{\"type\":\"integer\"}}", null),
        new Config(
            "wp-pipe",
            "text",
            "vec",
            false,
            "{\"text\":{\"type\":\"text\"},\"n\":{\"type\":\"integer\"},\"vec\":" + KNN + ",\"vec_fingerprint\":" + FINGERPRINT + "}",
            "{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"text\":\"vec\"},\"ignore_missing\":true}"
        ),
        new Config(
            "wp-pipe-chunks",
            "text",
            "chunks",
            true,
            "{\"text\":{\"type\":\"text\"},\"n\":{\"type\":\"integer\"},\"chunks\":{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},"
                + "\"vector\":" + KNN + "}},\"chunks_fingerprint\":" + FINGERPRINT + "}",
            "{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"text\":\"chunks\"},\"ignore_missing\":true,\"chunking\":{\"max_tokens\":64},"
                + "\"skip_existing\":true}"
        )
    );

    /** What a form may do: succeed (with the vectors of the text), or also be refused with a 4xx that changed nothing. */
    enum Outcome {
        SUCCEEDS,
        SUCCEEDS_OR_REFUSED
    }

    interface Write {
        /** Runs the write on document {@code id}; answers the HTTP status of the write (the item's status for a bulk). */
        int run(WritePathIT test, Config config, String id) throws IOException;
    }

    record Form(String name, Outcome outcome, boolean needsExisting, Write write) {}

    private static String doc(Config config, String text) {
        return "{" + nest(config.textPath(), text == null ? "null" : Json.quote(text)) + ",\"n\":1}";
    }

    /** {@code "a":{"b":value}} for the path a.b. */
    private static String nest(String path, String value) {
        int dot = path.indexOf('.');
        return dot < 0 ? Json.quote(path) + ":" + value : Json.quote(path.substring(0, dot)) + ":{" + nest(path.substring(dot + 1), value) + "}";
    }

    private static String partial(Config config, String text) {
        return "{" + nest(config.textPath(), text == null ? "null" : Json.quote(text)) + "}";
    }

    private static String setScript(Config config) {
        return "{\"source\":\"" + parentOf(config) + "['" + leafOf(config) + "'] = params.t\",\"params\":{\"t\":" + Json.quote(T2) + "}}";
    }

    private static String removeScript(Config config) {
        return "{\"source\":\"" + parentOf(config) + ".remove('" + leafOf(config) + "')\"}";
    }

    private static final String OTHER_FIELD_SCRIPT = "{\"source\":\"ctx._source.n = 7\"}";

    private static String parentOf(Config config) {
        int dot = config.textPath().lastIndexOf('.');
        return dot < 0 ? "ctx._source" : "ctx._source." + config.textPath().substring(0, dot);
    }

    private static String leafOf(Config config) {
        return config.textPath().substring(config.textPath().lastIndexOf('.') + 1);
    }

    private static final List<Form> FORMS = List.of(
        new Form("index", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("PUT", "/" + c.index() + "/_doc/" + id + "?refresh=true", doc(c, T2))),
        new Form("create", Outcome.SUCCEEDS, false, (t, c, id) -> t.status("PUT", "/" + c.index() + "/_create/" + id + "?refresh=true", doc(c, T2))),
        new Form("index without the text", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("PUT", "/" + c.index() + "/_doc/" + id + "?refresh=true", "{\"n\":2}")),
        new Form("index null", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("PUT", "/" + c.index() + "/_doc/" + id + "?refresh=true", doc(c, null))),
        new Form("index blank", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("PUT", "/" + c.index() + "/_doc/" + id + "?refresh=true", doc(c, " \t "))),
        new Form(
            "index with a dotted key",
            Outcome.SUCCEEDS,
            true,
            (t, c, id) -> t.status("PUT", "/" + c.index() + "/_doc/" + id + "?refresh=true", "{" + Json.quote(c.textPath()) + ":" + Json.quote(T2) + "}")
        ),
        new Form("index with client vectors and no text", Outcome.SUCCEEDS, true, (t, c, id) -> t.status(
            "PUT", "/" + c.index() + "/_doc/" + id + "?refresh=true", "{\"n\":3," + clientVectors(c, "\"" + t.fingerprintOf(c, id) + "\"") + "}")),
        new Form("index with client vectors for another text", Outcome.SUCCEEDS, true, (t, c, id) -> t.status(
            "PUT", "/" + c.index() + "/_doc/" + id + "?refresh=true", "{" + nest(c.textPath(), Json.quote(T2)) + "," + clientVectors(c, "\"" + t.fingerprintOf(c, id) + "\"") + "}")),
        new Form("_update doc", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"doc\":" + partial(c, T2) + "}")),
        new Form("_update doc null", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"doc\":" + partial(c, null) + "}")),
        new Form("_update doc blank", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"doc\":" + partial(c, "  ") + "}")),
        new Form("_update doc of another field", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"doc\":{\"n\":5}}")),
        new Form("_update script sets the text", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"script\":" + setScript(c) + "}")),
        new Form("_update script removes the text", Outcome.SUCCEEDS, true, (t, c, id) -> t.status("POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"script\":" + removeScript(c) + "}")),
        new Form("_update upsert of a new document", Outcome.SUCCEEDS, false, (t, c, id) -> t.status(
            "POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"doc\":{\"n\":4},\"upsert\":" + doc(c, T2) + "}")),
        new Form("_update doc_as_upsert of a new document", Outcome.SUCCEEDS, false, (t, c, id) -> t.status(
            "POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"doc\":" + partial(c, T2) + ",\"doc_as_upsert\":true}")),
        new Form("_update scripted_upsert of a new document", Outcome.SUCCEEDS, false, (t, c, id) -> t.status(
            "POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"scripted_upsert\":true,\"script\":" + setScriptCreatingParents(c) + ",\"upsert\":{}}")),
        new Form("_bulk index", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(c, "{\"index\":{\"_id\":\"" + id + "\"}}\n" + doc(c, T2))),
        new Form("_bulk create", Outcome.SUCCEEDS, false, (t, c, id) -> t.bulk(c, "{\"create\":{\"_id\":\"" + id + "\"}}\n" + doc(c, T2))),
        new Form("_bulk update doc", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":" + partial(c, T2) + "}")),
        new Form("_bulk update doc null", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":" + partial(c, null) + "}")),
        new Form("_bulk update doc blank", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":" + partial(c, "") + "}")),
        new Form("_bulk update doc of another field", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":{\"n\":6}}")),
        new Form("_bulk update doc with a dotted key", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":{" + Json.quote(c.textPath()) + ":" + Json.quote(T2) + "}}")),
        new Form("_bulk update doc with client vectors", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":{\"n\":8," + clientVectors(c, "\"forged.forged\"") + "}}")),
        new Form("_bulk update doc_as_upsert of a stored document", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":" + partial(c, T2) + ",\"doc_as_upsert\":true}")),
        new Form("_bulk update doc_as_upsert null", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":" + partial(c, null) + ",\"doc_as_upsert\":true}")),
        new Form("_bulk update doc_as_upsert of another field", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":{\"n\":9},\"doc_as_upsert\":true}")),
        new Form("_bulk scripted_upsert of a stored document", Outcome.SUCCEEDS_OR_REFUSED, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"scripted_upsert\":true,\"script\":" + setScriptCreatingParents(c) + ",\"upsert\":{}}")),
        new Form("_update scripted_upsert of a stored document", Outcome.SUCCEEDS, true, (t, c, id) -> t.status(
            "POST", "/" + c.index() + "/_update/" + id + "?refresh=true", "{\"scripted_upsert\":true,\"script\":" + setScriptCreatingParents(c) + ",\"upsert\":{}}")),
        new Form("_bulk update upsert of a new document", Outcome.SUCCEEDS, false, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":{\"n\":4},\"upsert\":" + doc(c, T2) + "}")),
        new Form("_bulk update doc with upsert of a stored document", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"doc\":" + partial(c, T2) + ",\"upsert\":" + doc(c, T1) + "}")),
        new Form("_bulk update script of another field", Outcome.SUCCEEDS, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"script\":" + OTHER_FIELD_SCRIPT + "}")),
        new Form("_bulk update script sets the text", Outcome.SUCCEEDS_OR_REFUSED, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"script\":" + setScript(c) + "}")),
        new Form("_bulk update script removes the text", Outcome.SUCCEEDS_OR_REFUSED, true, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"script\":" + removeScript(c) + "}")),
        new Form("_bulk scripted_upsert of a new document", Outcome.SUCCEEDS_OR_REFUSED, false, (t, c, id) -> t.bulk(
            c, "{\"update\":{\"_id\":\"" + id + "\"}}\n{\"scripted_upsert\":true,\"script\":" + setScriptCreatingParents(c) + ",\"upsert\":{}}")),
        new Form("_update_by_query script sets the text", Outcome.SUCCEEDS, true, (t, c, id) -> t.status(
            "POST", "/" + c.index() + "/_update_by_query?refresh=true", "{\"query\":{\"ids\":{\"values\":[\"" + id + "\"]}},\"script\":" + setScript(c) + "}")),
        new Form("_update_by_query script removes the text", Outcome.SUCCEEDS, true, (t, c, id) -> t.status(
            "POST", "/" + c.index() + "/_update_by_query?refresh=true", "{\"query\":{\"ids\":{\"values\":[\"" + id + "\"]}},\"script\":" + removeScript(c) + "}")),
        new Form("_update_by_query without a script", Outcome.SUCCEEDS, true, (t, c, id) -> t.status(
            "POST", "/" + c.index() + "/_update_by_query?refresh=true", "{\"query\":{\"ids\":{\"values\":[\"" + id + "\"]}}}"))
    );

    /** A script that writes the text, creating the objects on its path (for scripted upserts of new documents). */
    private static String setScriptCreatingParents(Config config) {
        String[] parts = config.textPath().split("\\.");
        StringBuilder source = new StringBuilder();
        String at = "ctx._source";
        for (int i = 0; i < parts.length - 1; i++) {
            source.append("if (").append(at).append("['").append(parts[i]).append("'] == null) { ").append(at).append("['").append(parts[i])
                .append("'] = [:]; } ");
            at = at + "['" + parts[i] + "']";
        }
        source.append(at).append("['").append(parts[parts.length - 1]).append("'] = params.t");
        return "{\"source\":" + Json.quote(source.toString()) + ",\"params\":{\"t\":" + Json.quote(T2) + "}}";
    }

    /** Vectors a client writes into the place where the plugin keeps them (a ones vector, not any text's). */
    private static String clientVectors(Config config, String fingerprint) {
        StringBuilder ones = new StringBuilder("[");
        for (int i = 0; i < 384; i++) {
            ones.append(i == 0 ? "" : ",").append(i % 2 == 0 ? "0.05" : "-0.05");
        }
        ones.append(']');
        String vectors = config.chunked()
            ? "[{\"text\":\"forged\",\"vector\":" + ones + "}]"
            : ones.toString();
        String vectorsPath = config.vectorsPath();
        int dot = vectorsPath.lastIndexOf('.');
        String leaf = vectorsPath.substring(dot + 1);
        String value = "{" + Json.quote(leaf) + ":" + vectors + "," + Json.quote(leaf + "_fingerprint") + ":" + fingerprint + "}";
        if (dot < 0) {
            return Json.quote(leaf) + ":" + vectors + "," + Json.quote(leaf + "_fingerprint") + ":" + fingerprint;
        }
        // the object's path as one dotted key: a document may not repeat a key, and the text may share the first step
        return Json.quote(vectorsPath.substring(0, dot)) + ":" + value;
    }

    private Response perform(String method, String path, String json) throws IOException {
        Request request = new Request(method, path);
        if (json != null) {
            request.setJsonEntity(json);
        }
        RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
        // OpenSearch 3.x warns that running the default pipeline on _update is deprecated; it still does
        options.setWarningsHandler(WarningsHandler.PERMISSIVE);
        request.setOptions(options);
        return client().performRequest(request);
    }

    private int status(String method, String path, String json) throws IOException {
        try {
            return perform(method, path, json).getStatusLine().getStatusCode();
        } catch (ResponseException e) {
            return e.getResponse().getStatusLine().getStatusCode();
        }
    }

    @SuppressWarnings("unchecked")
    private int bulk(Config config, String lines) throws IOException {
        Map<String, Object> response = entityAsMap(perform("POST", "/" + config.index() + "/_bulk?refresh=true", lines + "\n"));
        Map<String, Object> item = (Map<String, Object>) ((List<Map<String, Object>>) response.get("items")).get(0).values().iterator().next();
        return ((Number) item.get("status")).intValue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> stored(Config config, String index, String id) throws IOException {
        String includes = config.sourceIncludes() == null ? "" : "?_source_includes=" + config.sourceIncludes();
        Response response;
        try {
            response = perform("GET", "/" + index + "/_doc/" + id + includes, null);
        } catch (ResponseException e) {
            if (e.getResponse().getStatusLine().getStatusCode() == 404) {
                return null;
            }
            throw e;
        }
        return (Map<String, Object>) entityAsMap(response).get("_source");
    }

    /** The stored fingerprint of a document, so that a client can send vectors that carry it (for another text). */
    private String fingerprintOf(Config config, String id) throws IOException {
        Object fingerprint = SourceValues.valueAt(stored(config, config.index(), id), config.vectorsPath() + "_fingerprint");
        return fingerprint == null ? "none" : fingerprint.toString();
    }

    private void setUpConfig(Config config) throws IOException {
        String settings = "\"index.knn\":true,\"number_of_shards\":1,\"number_of_replicas\":0";
        if (config.pipeline() != null) {
            perform("PUT", "/_ingest/pipeline/" + config.index(), "{\"processors\":[{\"instruct_embedding\":" + config.pipeline() + "}]}");
            settings += ",\"index.default_pipeline\":\"" + config.index() + "\"";
        }
        for (String index : List.of(config.index(), config.index() + "-copy")) {
            perform("PUT", "/" + index, "{\"settings\":{" + settings + "},\"mappings\":{\"properties\":" + config.properties() + "}}");
        }
    }

    /**
     * Checks the rule on a stored document: returns null when it holds, else what is wrong.
     * Vectors of the current text means: one vector per text (or per chunk), each equal to _embed
     * of that text or chunk on the document side.
     */
    @SuppressWarnings("unchecked")
    private String violation(Config config, Map<String, Object> source) throws IOException {
        if (source == null) {
            return null;  // no document: nothing to be stale
        }
        Object text = SourceValues.valueAt(source, config.textPath());
        boolean hasText = text instanceof String s && s.isBlank() == false;
        Object vectors = SourceValues.valueAt(source, config.vectorsPath());
        List<Object> list = vectors instanceof List<?> l ? (List<Object>) l : null;
        boolean hasVectors = vectors != null && (list == null || list.isEmpty() == false);
        if (hasText == false) {
            return hasVectors ? "no text, but vectors " + abbreviate(vectors) : null;
        }
        if (hasVectors == false) {
            return "text [" + text + "] without vectors";
        }
        if (config.chunked()) {
            StringBuilder joined = new StringBuilder();
            for (Object chunk : list) {
                Map<String, Object> object = (Map<String, Object>) chunk;
                String chunkText = (String) object.get("text");
                double cosine = GoldenVectors.cosine(NodeCalls.embed(client(), MODEL, chunkText, "document"), NodeCalls.floats(object.get("vector")));
                if (cosine < 0.9999) {
                    return "chunk [" + chunkText + "] has a vector of another text (cosine " + cosine + ")";
                }
                joined.append(chunkText);
            }
            if (joined.toString().replaceAll("\\s", "").equals(((String) text).replaceAll("\\s", "")) == false) {
                return "chunks [" + joined + "] are not of the text [" + text + "]";
            }
            return null;
        }
        double cosine = GoldenVectors.cosine(NodeCalls.embed(client(), MODEL, (String) text, "document"), NodeCalls.floats(vectors));
        return cosine >= 0.9999 ? null : "the vector is of another text than [" + text + "] (cosine " + cosine + ")";
    }

    private static String abbreviate(Object value) {
        String text = String.valueOf(value);
        return text.length() > 120 ? text.substring(0, 120) + "..." : text;
    }

    public void testEveryWriteFormLeavesVectorsOfTheCurrentText() throws IOException {
        List<String> failures = new ArrayList<>();
        Map<String, Integer> refused = new LinkedHashMap<>();
        int cases = 0;
        for (Config config : CONFIGS) {
            setUpConfig(config);
            int n = 0;
            for (Form form : FORMS) {
                String id = "d" + n++;
                String where = config.index() + " / " + form.name() + ": ";
                if (form.needsExisting()) {
                    perform("PUT", "/" + config.index() + "/_doc/" + id + "?refresh=true", doc(config, T1));
                    String before = violation(config, stored(config, config.index(), id));
                    assertNull(where + "the first write already breaks the rule: " + before, before);
                }
                Map<String, Object> previous = stored(config, config.index(), id);
                int status = form.write().run(this, config, id);
                cases++;
                Map<String, Object> after = stored(config, config.index(), id);
                if (status >= 500) {
                    failures.add(where + "HTTP " + status);
                } else if (status >= 400) {
                    if (form.outcome() == Outcome.SUCCEEDS) {
                        failures.add(where + "refused with HTTP " + status + " but must succeed");
                    } else if (java.util.Objects.equals(previous, after) == false) {
                        failures.add(where + "refused with HTTP " + status + " but the document changed: " + abbreviate(after));
                    } else {
                        refused.put(where, status);
                    }
                }
                String problem = violation(config, after);
                if (problem != null) {
                    failures.add(where + problem);
                }
            }
            // _reindex copies every document of the index into a twin: each copy must hold too
            Map<String, Object> reindexed = entityAsMap(perform(
                "POST", "/_reindex?refresh=true", "{\"source\":{\"index\":\"" + config.index() + "\"},\"dest\":{\"index\":\"" + config.index() + "-copy\"}}"
            ));
            assertEquals(config.index() + " reindex: " + reindexed, List.of(), reindexed.get("failures"));
            for (int i = 0; i < n; i++) {
                String problem = violation(config, stored(config, config.index() + "-copy", "d" + i));
                cases++;
                if (problem != null) {
                    failures.add(config.index() + " / _reindex of d" + i + ": " + problem);
                }
            }
        }
        logger.info("write rule matrix: {} cases, refused with a 4xx: {}", cases, refused);
        assertTrue(failures.size() + " of " + cases + " cases break the write rule:\n" + String.join("\n", failures), failures.isEmpty());
    }

    /**
     * One field, one model: a field whose mapping records another identity of its pack (as when
     * the index was mapped on a node whose bge files differ from this node's) is neither written
     * nor queried here, with a 400 naming both identities; the node's own identity is recorded
     * when a mapping is made, and a mapping sent back (GET, then PUT) keeps the record it has.
     */
    @SuppressWarnings("unchecked")
    public void testAFieldRecordedByOtherPackFilesRefusesWritesAndQueries() throws IOException {
        perform("PUT", "/wp-own", "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"body\":" + TEXT_FIELD + "}}}}");
        Map<String, Object> mapping = entityAsMap(perform("GET", "/wp-own/_mapping", null));
        Map<String, Object> properties = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) mapping.get("wp-own")).get("mappings")).get("properties");
        Map<String, Object> fingerprint = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) properties.get("body_instruct")).get("properties"))
            .get("chunks_fingerprint");
        Map<String, Object> meta = (Map<String, Object>) fingerprint.get("meta");
        assertEquals(MODEL, meta.get("instruct_embed.model"));
        String identity = (String) meta.get("instruct_embed.pack");
        assertEquals(22, identity.length());

        String other = "OtherFilesOtherVectors";
        String recorded = "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"body\":" + TEXT_FIELD
            + "},\"body_instruct\":{\"properties\":{\"chunks\":{\"type\":\"nested\"},\"chunks_fingerprint\":{\"type\":\"keyword\","
            + "\"meta\":{\"instruct_embed.model\":\"" + MODEL + "\",\"instruct_embed.pack\":\"" + other + "\"}}}}}}}";
        perform("PUT", "/wp-other", recorded);
        ResponseException write = expectThrows(ResponseException.class, () -> perform("PUT", "/wp-other/_doc/1?refresh=true", "{\"body\":\"" + T1 + "\"}"));
        assertEquals(400, write.getResponse().getStatusLine().getStatusCode());
        String body = write.getMessage();
        assertTrue(body, body.contains(other) && body.contains(identity) && body.contains("_reindex"));
        // a document without text is no vector of anyone's: it is written
        assertEquals(201, status("PUT", "/wp-other/_doc/2?refresh=true", "{\"other\":1}"));
        ResponseException query = expectThrows(ResponseException.class, () -> perform(
            "POST", "/wp-other/_search", "{\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":\"cells\",\"k\":1}}}}"
        ));
        assertEquals(400, query.getResponse().getStatusLine().getStatusCode());
        String queryBody = query.getMessage();
        assertTrue(queryBody, queryBody.contains(other));
        // the index of this node's own identity and the other one cannot be searched with one query vector
        ResponseException both = expectThrows(ResponseException.class, () -> perform(
            "POST", "/wp-own,wp-other/_search", "{\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":\"cells\",\"k\":1}}}}"
        ));
        assertEquals(400, both.getResponse().getStatusLine().getStatusCode());
    }

    /**
     * One field, one model, for pipelines: the first write records in the index mapping's _meta
     * which model (and pack files) wrote the target; a pipeline redefined in place with another
     * 384-d model then fails its writes with a 400 naming both, and a query embedded with the new
     * model is a 400 too, until the index is re-embedded into a new one with _reindex.
     */
    @SuppressWarnings("unchecked")
    public void testAPipelineRedefinedWithAnotherModelOfTheSameDimensionIsRefused() throws IOException {
        String pipeline = "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"%s\",\"field_map\":{\"text\":\"vec\"}}}]}";
        perform("PUT", "/_ingest/pipeline/wp-redefined", String.format(java.util.Locale.ROOT, pipeline, MODEL));
        perform("PUT", "/wp-redefined", "{\"settings\":{\"index.knn\":true,\"number_of_replicas\":0,\"index.default_pipeline\":\"wp-redefined\"},"
            + "\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},\"vec\":" + KNN + "}}}");
        perform("PUT", "/wp-redefined/_doc/1?refresh=true", "{\"text\":\"" + T1 + "\"}");
        Map<String, Object> mapping = (Map<String, Object>) ((Map<String, Object>) entityAsMap(perform("GET", "/wp-redefined/_mapping", null))
            .get("wp-redefined")).get("mappings");
        Map<String, Object> recorded = (Map<String, Object>) SourceValues.valueAt(mapping, "_meta.instruct_embed.targets.vec");
        assertEquals(mapping.toString(), MODEL, recorded.get("model_id"));
        assertNotNull(recorded.get("pack"));
        // the same model keeps writing
        assertEquals(201, status("PUT", "/wp-redefined/_doc/2?refresh=true", "{\"text\":\"" + T2 + "\"}"));

        String int8 = MODEL + "-int8";
        perform("PUT", "/_ingest/pipeline/wp-redefined", String.format(java.util.Locale.ROOT, pipeline, int8));
        ResponseException write = expectThrows(ResponseException.class, () -> perform("PUT", "/wp-redefined/_doc/3?refresh=true", "{\"text\":\"" + T2 + "\"}"));
        assertEquals(400, write.getResponse().getStatusLine().getStatusCode());
        assertTrue(write.getMessage(), write.getMessage().contains("[" + MODEL + "]") && write.getMessage().contains("[" + int8 + "]")
            && write.getMessage().contains("_reindex"));
        ResponseException query = expectThrows(ResponseException.class, () -> perform(
            "POST", "/wp-redefined/_search", "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"cells\",\"k\":1}}}}"
        ));
        assertEquals(400, query.getResponse().getStatusLine().getStatusCode());
        assertTrue(query.getMessage(), query.getMessage().contains(int8));
        // the model that wrote the field still queries it
        Map<String, Object> hits = entityAsMap(perform(
            "POST", "/wp-redefined/_search", "{\"query\":{\"instruct_knn\":{\"vec\":{\"query_text\":\"cells\",\"k\":2,\"model_id\":\"" + MODEL + "\"}}}}"
        ));
        assertEquals(2, ((List<?>) SourceValues.valueAt(hits, "hits.hits")).size());
        // a blank text writes no vector of the new model, and passes
        assertEquals(201, status("PUT", "/wp-redefined/_doc/4?refresh=true", "{\"text\":\"  \"}"));
    }
}
