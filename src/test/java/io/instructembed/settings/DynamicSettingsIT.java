package io.instructembed.settings;

import org.opensearch.client.Request;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The tunables that are safe to change while models run are cluster settings: PUT _cluster/settings
 * takes them, the next call follows them, and the static ones are refused.
 */
public class DynamicSettingsIT extends OpenSearchRestTestCase {

    private void putTransient(String json) throws IOException {
        Request request = new Request("PUT", "/_cluster/settings");
        request.setJsonEntity("{\"transient\":" + json + "}");
        client().performRequest(request);
    }

    private static Request embed(int texts) {
        Request request = new Request("POST", "/_plugins/_instruct_embed/_embed");
        request.setJsonEntity("{\"model_id\":\"bge-small-en-v1.5-int8\",\"texts\":" + "[\"a text\"".repeat(1) + ",\"a text\"".repeat(texts - 1) + "]}");
        return request;
    }

    public void testTheRuntimeTunablesChangeWithoutARestart() throws Exception {
        putTransient(
            "{\"instruct_embed.queue.max_texts\":512,\"instruct_embed.batch.max_wait\":\"5ms\",\"instruct_embed.query_cache.max_bytes\":\"1mb\","
                + "\"instruct_embed.memory.max_model_bytes\":\"4gb\",\"instruct_embed.embed.max_texts\":1}"
        );
        try {
            assertEquals(200, client().performRequest(embed(1)).getStatusLine().getStatusCode());
            ResponseException e = expectThrows(ResponseException.class, () -> client().performRequest(embed(2)));
            assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
            assertTrue(e.getMessage(), e.getMessage().contains("more than the 1 allowed per call (instruct_embed.embed.max_texts)"));

            Map<String, Object> breakers = entityAsMap(client().performRequest(new Request("GET", "/_nodes/_local/stats/breaker")));
            @SuppressWarnings("unchecked")
            Map<String, Object> node = (Map<String, Object>) ((Map<String, Object>) breakers.get("nodes")).values().iterator().next();
            @SuppressWarnings("unchecked")
            Map<String, Object> ours = (Map<String, Object>) ((Map<String, Object>) node.get("breakers")).get("instruct_embed");
            assertEquals("the breaker follows the setting", 4L << 30, ((Number) ours.get("limit_size_in_bytes")).longValue());
        } finally {
            putTransient(
                "{\"instruct_embed.queue.max_texts\":null,\"instruct_embed.batch.max_wait\":null,\"instruct_embed.query_cache.max_bytes\":null,"
                    + "\"instruct_embed.memory.max_model_bytes\":null,\"instruct_embed.embed.max_texts\":null}"
            );
        }
        assertEquals(200, client().performRequest(embed(2)).getStatusLine().getStatusCode());
    }

    public void testStaticSettingsAreRefused() {
        for (String setting : List.of("instruct_embed.batch.max_tokens", "instruct_embed.device")) {
            ResponseException e = expectThrows(
                ResponseException.class,
                () -> putTransient("{\"" + setting + "\":\"" + (setting.endsWith("device") ? "cpu" : "128") + "\"}")
            );
            assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
            assertTrue(e.getMessage(), e.getMessage().contains("not dynamically updateable"));
        }
    }

    public void testBatchMaxWaitIsBounded() {
        for (String wait : List.of("1h", "99999999999d", "1001ms")) {
            ResponseException e = expectThrows(ResponseException.class, () -> putTransient("{\"instruct_embed.batch.max_wait\":\"" + wait + "\"}"));
            assertEquals(400, e.getResponse().getStatusLine().getStatusCode());
            assertTrue(e.getMessage(), e.getMessage().contains("instruct_embed.batch.max_wait"));
        }
    }

    public void testALoadThatActsNowhereSaysSo() throws Exception {
        String int8 = "/_plugins/_instruct_embed/models/bge-small-en-v1.5-int8/";
        // a mistyped node filter: a 404 naming it, not a 200 that loaded nothing
        ResponseException typo = expectThrows(ResponseException.class, () -> client().performRequest(new Request("POST", int8 + "_load?nodes=no-such-node")));
        assertEquals(404, typo.getResponse().getStatusLine().getStatusCode());
        assertTrue(typo.getMessage(), typo.getMessage().contains("[no-such-node]"));
        // refused by the memory breaker on every node: a 429, not a 200 with _nodes.failed
        client().performRequest(new Request("POST", int8 + "_unload"));
        putTransient("{\"instruct_embed.memory.max_model_bytes\":\"1kb\"}");
        try {
            ResponseException tripped = expectThrows(ResponseException.class, () -> client().performRequest(new Request("POST", int8 + "_load")));
            assertEquals(tripped.getMessage(), 429, tripped.getResponse().getStatusLine().getStatusCode());
        } finally {
            putTransient("{\"instruct_embed.memory.max_model_bytes\":null}");
        }
        assertEquals(200, client().performRequest(new Request("POST", int8 + "_load")).getStatusLine().getStatusCode());
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
