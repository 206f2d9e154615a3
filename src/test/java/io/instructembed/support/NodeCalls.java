package io.instructembed.support;

import org.opensearch.client.Request;
import org.opensearch.client.RestClient;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Calls to a test node that several integration tests make: the plugin's stats and _embed, and vectors out of JSON. */
public final class NodeCalls {
    private NodeCalls() {}

    /** A JSON array of numbers as floats. */
    public static float[] floats(Object list) {
        List<?> values = (List<?>) list;
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }

    /** The model's stats on the node that answers (tests run against a single node). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> modelStats(RestClient client, String model) throws IOException {
        Map<String, Object> nodes = (Map<String, Object>) OpenSearchRestTestCase.entityAsMap(
            client.performRequest(new Request("GET", "/_plugins/_instruct_embed/_local/stats"))
        ).get("nodes");
        Map<String, Object> node = (Map<String, Object>) nodes.values().iterator().next();
        return (Map<String, Object>) ((Map<String, Object>) node.get("models")).get(model);
    }

    /** One text's vector from {@code _embed}: a document, or a query with the retrieval task. */
    @SuppressWarnings("unchecked")
    public static float[] embed(RestClient client, String model, String text, String inputType) throws IOException {
        Request request = new Request("POST", "/_plugins/_instruct_embed/_embed");
        request.setJsonEntity(
            "{\"model_id\":\"" + model + "\",\"input_type\":\"" + inputType + "\"" + ("query".equals(inputType) ? ",\"task\":\"retrieval\"" : "")
                + ",\"texts\":[" + Json.quote(text) + "]}"
        );
        Map<String, Object> response = OpenSearchRestTestCase.entityAsMap(client.performRequest(request));
        return floats(((List<Map<String, Object>>) response.get("embeddings")).get(0).get("vector"));
    }

    /** A call with an optional JSON body; its JSON answer (an error status throws). */
    public static Map<String, Object> json(RestClient client, String method, String path, String json) throws IOException {
        Request request = new Request(method, path);
        if (json != null) {
            request.setJsonEntity(json);
        }
        return OpenSearchRestTestCase.entityAsMap(client.performRequest(request));
    }

    /** The {@code nodes} object of a nodes answer (stats, serving, _nodes), keyed by node name instead of node id. */
    @SuppressWarnings("unchecked")
    public static Map<String, Map<String, Object>> nodesByName(Map<String, Object> nodesAnswer) {
        Map<String, Map<String, Object>> named = new TreeMap<>();
        for (Object node : ((Map<String, Object>) nodesAnswer.get("nodes")).values()) {
            named.put((String) ((Map<String, Object>) node).get("name"), (Map<String, Object>) node);
        }
        return named;
    }
}
