package io.instructembed.security;

import io.instructembed.support.GoldenVectors;
import io.instructembed.support.NodeCalls;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.message.BasicHeader;
import org.junit.AfterClass;
import org.junit.Before;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;
import org.opensearch.client.RestClientBuilder;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.ThreadContext;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plugin on a two-node cluster with the security plugin and its demo configuration (TLS on
 * HTTP and transport, internal users), started by {@code scripts/node.sh start-secured-cluster}:
 * node-1 has no {@code embedding} role and node-2 has it, so node-2 runs every model and node-1
 * sends its embedding work there. The roles of docs/security.md, created exactly as written there,
 * give each kind of user what the page says, and no more, through either node: the tests' clients
 * take turns between the two, and one test goes through node-1 alone.
 */
public class SecuredClusterIT extends OpenSearchRestTestCase {

    private static final String MODEL = "bge-small-en-v1.5";
    private static final String INDEX = "articles";
    private static final String SECRET = "secret-articles-elsewhere";
    /** An index whose pipeline has skip_existing. */
    private static final String SKIP = "articles-reused";
    /** An index with an instruct_text field, embedded on write without a user pipeline. */
    private static final String FIELD = "articles-field";
    /** The member without the embedding role (see node.sh start-secured-cluster). */
    private static final String NOT_SERVING = "node-1";
    private static final String SERVING = "node-2";
    private static final String API = "/_plugins/_instruct_embed";
    private static final String PASSWORD = "Kx9-Wq4z-Instruct-Users";
    private static final Pattern ROLE = Pattern.compile("/_plugins/_security/api/roles/([a-z_]+)'[^\\n]*? -d '(.*?)'", Pattern.DOTALL);

    private static boolean ready;
    /** The users' clients, by user (and {@code @node} for those of one member), for the whole class. */
    private static final Map<String, RestClient> USER_CLIENTS = new HashMap<>();

    @Override
    protected String getProtocol() {
        return "https";
    }

    @Override
    protected Settings restClientSettings() {
        return settingsFor("admin", clusterProperty("tests.secured.admin_password"));
    }

    /**
     * One of the properties that {@code node.sh start-secured-cluster} writes, which only the
     * secured execution of pom.xml (-DskipSecuredITs=false) hands to this test; -Dit.test names
     * the tests of the single plain node.
     */
    private static String clusterProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("no system property [" + name + "]: run SecuredClusterIT through the secured execution of pom.xml (-DskipSecuredITs=false)");
        }
        return value;
    }

    private static Settings settingsFor(String user, String password) {
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return Settings.builder().put(ThreadContext.PREFIX + ".Authorization", "Basic " + basic).build();
    }

    /**
     * A client that trusts the demo root CA only (and checks the node's host name against its
     * certificate), with the Authorization header of the settings. The framework's own truststore
     * support needs the BouncyCastle FIPS provider on the test classpath.
     */
    @Override
    protected RestClient buildClient(Settings settings, HttpHost[] hosts) throws IOException {
        SSLContext tls = demoCaContext();
        RestClientBuilder builder = RestClient.builder(hosts);
        builder.setHttpClientConfigCallback(
            http -> http.setConnectionManager(
                PoolingAsyncClientConnectionManagerBuilder.create()
                    .setTlsStrategy(ClientTlsStrategyBuilder.create().setSslContext(tls).build())
                    .build()
            )
        );
        builder.setDefaultHeaders(new Header[] { new BasicHeader("Authorization", settings.get(ThreadContext.PREFIX + ".Authorization")) });
        return builder.build();
    }

    private static SSLContext demoCaContext() throws IOException {
        try (InputStream pem = Files.newInputStream(Path.of(clusterProperty("tests.secured.ca")))) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("demo-root-ca", CertificateFactory.getInstance("X.509").generateCertificate(pem));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust the demo root CA", e);
        }
    }

    /** A client of {@code user} that takes turns between the two members. */
    private RestClient clientFor(String user) throws IOException {
        return cachedClient(user, user, getClusterHosts().toArray(new HttpHost[0]));
    }

    /** A client of {@code user} that sends everything to the member {@code node} only. */
    private RestClient clientThrough(String node, String user) throws IOException {
        String address = clusterProperty("tests.secured." + node);
        int colon = address.lastIndexOf(':');
        HttpHost host = new HttpHost(getProtocol(), address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
        return cachedClient(user + "@" + node, user, new HttpHost[] { host });
    }

    private RestClient cachedClient(String key, String user, HttpHost[] hosts) throws IOException {
        RestClient client = USER_CLIENTS.get(key);
        if (client == null) {
            client = buildClient(settingsFor(user, PASSWORD), hosts);
            USER_CLIENTS.put(key, client);
        }
        return client;
    }

    /**
     * Closes the users' clients and the framework's two (admin) clients, all at once: closing a
     * client waits for the graceful end of its TLS connections, about 5 s a client with these
     * nodes, so a client closed per test cost 5 s a test, and closing one after the other 5 s a
     * client. The framework's own close after this one finds its clients closed already.
     */
    @AfterClass
    public static void closeClientsTogether() throws InterruptedException {
        List<RestClient> clients = new ArrayList<>(USER_CLIENTS.values());
        if (client() != null) {
            clients.add(client());
        }
        if (adminClient() != null) {
            clients.add(adminClient());
        }
        List<Thread> closing = new ArrayList<>();
        for (RestClient open : clients) {
            closing.add(Thread.ofPlatform().start(() -> {
                try {
                    open.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        for (Thread thread : closing) {
            thread.join();
        }
        USER_CLIENTS.clear();
    }

    /** The role bodies of docs/security.md, by role name. */
    static Map<String, String> documentedRoles() throws IOException {
        Map<String, String> roles = new HashMap<>();
        Matcher role = ROLE.matcher(Files.readString(Path.of("docs/security.md")));
        while (role.find()) {
            roles.put(role.group(1), role.group(2).strip());
        }
        return roles;
    }

    @Before
    public void createRolesUsersAndIndices() throws Exception {
        if (ready) {
            return;
        }
        Map<String, String> roles = documentedRoles();
        assertEquals(roles.keySet().toString(), 5, roles.size());
        for (Map.Entry<String, String> role : roles.entrySet()) {
            put("/_plugins/_security/api/roles/" + role.getKey(), role.getValue());
        }
        Map<String, List<String>> users = Map.of(
            "ie_admin", List.of("instruct_embed_model_admin"),
            "ie_searcher", List.of("instruct_embed_searcher"),
            "ie_searcher_embedder", List.of("instruct_embed_searcher", "instruct_embed_embedder"),
            "ie_writer", List.of("instruct_embed_writer"),
            "ie_writer_reuse", List.of("instruct_embed_writer_reuse")
        );
        Map<String, StringBuilder> mappings = new HashMap<>();
        for (Map.Entry<String, List<String>> user : users.entrySet()) {
            put("/_plugins/_security/api/internalusers/" + user.getKey(), "{\"password\":\"" + PASSWORD + "\"}");
            for (String role : user.getValue()) {
                StringBuilder list = mappings.computeIfAbsent(role, r -> new StringBuilder());
                list.append(list.length() == 0 ? "" : ",").append('"').append(user.getKey()).append('"');
            }
        }
        for (Map.Entry<String, StringBuilder> mapping : mappings.entrySet()) {
            put("/_plugins/_security/api/rolesmapping/" + mapping.getKey(), "{\"users\":[" + mapping.getValue() + "]}");
        }
        // the index administrator (admin) declares the pipeline and the indices
        put("/_ingest/pipeline/articles-embed",
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"text\":\"text_vector\"}}}]}");
        put("/_ingest/pipeline/articles-skip",
            "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + MODEL + "\",\"field_map\":{\"text\":\"text_vector\"},\"skip_existing\":true}}]}");
        for (String index : List.of(INDEX, SECRET, SKIP)) {
            deleteIfPresent(index);
            String pipeline = index.equals(SKIP) ? "articles-skip" : "articles-embed";
            put("/" + index,
                "{\"settings\":{\"index.knn\":true,\"number_of_shards\":1,\"number_of_replicas\":0,\"index.default_pipeline\":\"" + pipeline + "\"},"
                    + "\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},\"text_vector\":{\"type\":\"knn_vector\",\"dimension\":384,"
                    + "\"method\":{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}}}}}");
        }
        deleteIfPresent(FIELD);
        put("/" + FIELD,
            "{\"settings\":{\"index.knn\":true,\"number_of_shards\":1,\"number_of_replicas\":0},"
                + "\"mappings\":{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"" + MODEL + "\"}}}}");
        Map<String, Object> secret = bulk(client(), SECRET, "s1", "the launch codes are kept in the blue folder");
        assertEquals(false, secret.get("errors"));
        ready = true;
    }

    public void testModelAdminLoadsAndUnloadsModelsAndReadsStats() throws Exception {
        RestClient admin = clientFor("ie_admin");
        String model = "bge-small-en-v1.5-int8";
        assertEquals(200, status(admin, "POST", API + "/models/" + model + "/_load", null));
        assertBusy(() -> assertTrue(body(admin, "GET", API + "/models/" + model).contains("\"state\":\"loaded\"")));
        assertEquals(200, status(admin, "POST", API + "/models/" + model + "/_unload", null));
        assertBusy(() -> assertFalse(body(admin, "GET", API + "/models/" + model).contains("\"state\":\"loaded\"")));
        assertTrue(body(admin, "GET", API + "/stats").contains("\"nodes\""));
        // managing models is not embedding: that is a permission of its own
        assertEquals(403, status(admin, "POST", API + "/_embed", embedBody()));
    }

    @SuppressWarnings("unchecked")
    public void testSearcherRunsInstructKnnButNoPluginApi() throws Exception {
        Map<String, Object> indexed = bulk(client(), INDEX, "a1", "neurons pass signals across synapses with neurotransmitters");
        assertEquals(false, indexed.get("errors"));
        bulk(client(), INDEX, "a2", "plants turn light, water and carbon dioxide into sugar");
        RestClient searcher = clientFor("ie_searcher");
        Request search = new Request("POST", "/" + INDEX + "/_search");
        search.setJsonEntity(knnSearch("how do nerve cells talk to each other?"));
        Map<String, Object> hits = (Map<String, Object>) entityAsMap(searcher.performRequest(search)).get("hits");
        List<Map<String, Object>> found = (List<Map<String, Object>>) hits.get("hits");
        assertEquals("a1", found.get(0).get("_id"));

        assertEquals(403, status(searcher, "POST", API + "/models/" + MODEL + "/_load", null));
        assertEquals(403, status(searcher, "POST", API + "/models/" + MODEL + "/_unload", null));
        assertEquals(403, status(searcher, "POST", API + "/_embed", embedBody()));
        assertEquals(403, status(searcher, "POST", API + "/v1/embeddings", "{\"model\":\"" + MODEL + "\",\"input\":\"hello\"}"));
        assertEquals(403, status(searcher, "GET", API + "/v1/models", null));
        assertEquals(403, status(searcher, "GET", API + "/stats", null));
        // the query does not open an index the user may not read, nor a write
        assertEquals(403, status(searcher, "POST", "/" + SECRET + "/_search", knnSearch("launch codes")));
        assertEquals(403, status(searcher, "POST", "/" + INDEX + "/_doc", "{\"text\":\"a searcher may not write\"}"));
        // the model stayed loaded: the refused unload did nothing
        assertTrue(body(client(), "GET", API + "/models/" + MODEL).contains("\"state\":\"loaded\""));
    }

    @SuppressWarnings("unchecked")
    public void testEmbedPermissionOpensEmbeddingOnly() throws Exception {
        RestClient embedder = clientFor("ie_searcher_embedder");
        Map<String, Object> embedded = entityAsMap(perform(embedder, "POST", API + "/_embed", embedBody()));
        assertEquals(384, ((List<Object>) ((List<Map<String, Object>>) embedded.get("embeddings")).get(0).get("vector")).size());
        assertEquals(200, status(embedder, "POST", API + "/v1/embeddings", "{\"model\":\"" + MODEL + "\",\"input\":\"hello\"}"));
        assertEquals(200, status(embedder, "GET", API + "/models", null));
        // OpenAI clients list the models first: the same action as GET models
        assertEquals(200, status(embedder, "GET", API + "/v1/models", null));
        assertEquals(200, status(embedder, "GET", API + "/v1/models/" + MODEL, null));
        assertEquals(403, status(embedder, "POST", API + "/models/" + MODEL + "/_load", null));
        assertEquals(403, status(embedder, "POST", API + "/models/" + MODEL + "/_unload", null));
    }

    @SuppressWarnings("unchecked")
    public void testWriterIndexesThroughThePipelineWithoutPluginPermissions() throws Exception {
        RestClient writer = clientFor("ie_writer");
        Map<String, Object> indexed = bulk(writer, INDEX, "w1", "the writer's document is embedded by the index pipeline");
        assertEquals(indexed.toString(), false, indexed.get("errors"));
        Map<String, Object> doc = entityAsMap(client().performRequest(new Request("GET", "/" + INDEX + "/_doc/w1")));
        assertEquals(384, ((List<Object>) ((Map<String, Object>) doc.get("_source")).get("text_vector")).size());

        assertEquals(403, status(writer, "POST", API + "/_embed", embedBody()));
        assertEquals(403, status(writer, "POST", API + "/models/" + MODEL + "/_load", null));
        // the pipeline writes only where the writer may write
        Map<String, Object> elsewhere = bulk(writer, SECRET, "w2", "not here");
        if (elsewhere.containsKey("items")) {
            assertEquals(true, elsewhere.get("errors"));
            Map<String, Object> item = (Map<String, Object>) ((Map<String, Object>) ((List<Object>) elsewhere.get("items")).get(0)).get("index");
            assertEquals(elsewhere.toString(), 403, item.get("status"));
        } else {
            assertEquals(elsewhere.toString(), 403, elsewhere.get("status"));
        }
        assertEquals(1, ((Map<String, Object>) entityAsMap(client().performRequest(new Request("GET", "/" + SECRET + "/_count")))).get("count"));
    }

    /**
     * The documented writer and searcher through node-1, which does not serve the model: the
     * bulk's documents (a pipeline target and an instruct_text field) and the queries' texts are
     * embedded on node-2, sent over the cluster's TLS transport by the serving actions, with the
     * users' documented roles and nothing more (no 403 for the node-to-node call). node-1 never
     * loads the model.
     */
    @SuppressWarnings("unchecked")
    public void testWriterAndSearcherThroughANodeThatDoesNotServe() throws Exception {
        Map<String, Map<String, Object>> before = byName("serving");
        assertEquals(false, before.get(NOT_SERVING).get("role"));
        assertEquals(List.of(), before.get(NOT_SERVING).get("serves"));
        assertTrue(before.get(SERVING).toString(), ((List<String>) before.get(SERVING).get("serves")).contains(MODEL));

        String text = "glaciers carve deep valleys as they slide slowly downhill";
        RestClient writer = clientThrough(NOT_SERVING, "ie_writer");
        Request bulk = new Request("POST", "/_bulk");
        bulk.addParameter("refresh", "true");
        bulk.setJsonEntity(
            "{\"index\":{\"_index\":\"" + INDEX + "\",\"_id\":\"g1\"}}\n{\"text\":\"" + text + "\"}\n"
                + "{\"index\":{\"_index\":\"" + FIELD + "\",\"_id\":\"g1\"}}\n{\"body\":\"" + text + "\"}\n"
        );
        Map<String, Object> written = entityAsMap(writer.performRequest(bulk));
        assertEquals(written.toString(), false, written.get("errors"));

        RestClient searcher = clientThrough(NOT_SERVING, "ie_searcher");
        assertEquals("g1", firstHit(searcher, INDEX, knnSearch("how does moving ice shape mountain valleys?")));
        String onField = "{\"size\":1,\"_source\":false,\"query\":{\"instruct_knn\":{\"body\":{\"query_text\":"
            + "\"what slowly grinds out a valley between mountains?\",\"k\":1}}}}";
        assertEquals("g1", firstHit(searcher, FIELD, onField));
        Map<String, Map<String, Object>> after = byName("serving");

        // node-2 ran the bulk's two embedding calls (pipeline, field) and the two queries' for node-1, and nothing failed
        long served = counter(after, SERVING, "served_for_other_nodes", "calls") - counter(before, SERVING, "served_for_other_nodes", "calls");
        long sent = counter(after, NOT_SERVING, "sent_to_other_nodes", "calls") - counter(before, NOT_SERVING, "sent_to_other_nodes", "calls");
        assertTrue("node-2 served " + served + " calls for node-1", served >= 4);
        assertEquals("what node-1 sent is what node-2 served", sent, served);
        assertEquals(counter(before, NOT_SERVING, "sent_to_other_nodes", "failed"), counter(after, NOT_SERVING, "sent_to_other_nodes", "failed"));
        Map<String, Object> model = (Map<String, Object>) byName("stats").get(NOT_SERVING).get("models");
        Map<String, Object> notServing = (Map<String, Object>) model.get(MODEL);
        assertEquals(notServing.toString(), "not_loaded", notServing.get("state"));
        assertEquals(notServing.toString(), 0, ((Number) notServing.get("texts")).intValue());

        // the stored vectors are the model's vectors of the text (as admin, who may embed)
        float[] expected = NodeCalls.embed(client(), MODEL, text, "document");
        Map<String, Object> piped = (Map<String, Object>) entityAsMap(client().performRequest(new Request("GET", "/" + INDEX + "/_doc/g1"))).get("_source");
        assertTrue(GoldenVectors.cosine(NodeCalls.floats(piped.get("text_vector")), expected) >= 0.9999);
        Map<String, Object> field = (Map<String, Object>) entityAsMap(
            client().performRequest(new Request("GET", "/" + FIELD + "/_doc/g1?_source_includes=body_instruct"))
        ).get("_source");
        List<Map<String, Object>> chunks = (List<Map<String, Object>>) ((Map<String, Object>) field.get("body_instruct")).get("chunks");
        assertEquals(1, chunks.size());
        float[] chunkExpected = NodeCalls.embed(client(), MODEL, (String) chunks.get(0).get("text"), "document");
        assertTrue(GoldenVectors.cosine(NodeCalls.floats(chunks.get(0).get("vector")), chunkExpected) >= 0.9999);
    }

    @SuppressWarnings("unchecked")
    private static String firstHit(RestClient client, String index, String query) throws IOException {
        Map<String, Object> hits = (Map<String, Object>) entityAsMap(perform(client, "POST", "/" + index + "/_search", query)).get("hits");
        List<Map<String, Object>> found = (List<Map<String, Object>>) hits.get("hits");
        assertFalse(hits.toString(), found.isEmpty());
        return (String) found.get(0).get("_id");
    }

    /** The nodes of GET {@code /_plugins/_instruct_embed/<what>} (as admin), by node name. */
    private Map<String, Map<String, Object>> byName(String what) throws IOException {
        Map<String, Map<String, Object>> named = NodeCalls.nodesByName(entityAsMap(client().performRequest(new Request("GET", API + "/" + what))));
        assertEquals(named.keySet().toString(), 2, named.size());
        return named;
    }

    @SuppressWarnings("unchecked")
    private static long counter(Map<String, Map<String, Object>> serving, String node, String group, String name) {
        return ((Number) ((Map<String, Object>) serving.get(node).get(group)).get(name)).longValue();
    }

    /**
     * skip_existing reads the stored documents as the writing user: a writer who may not read the
     * index gets every text embedded again (and the write succeeds); one who may read gets the
     * stored vectors reused. Were the read run as the system, both would get the reuse.
     */
    public void testSkipExistingReadsStoredDocumentsAsTheWriter() throws Exception {
        String text = "a pump that moves water uphill";
        assertEquals(false, bulk(client(), SKIP, "k1", text).get("errors"));
        long[] before = skipStats();
        Map<String, Object> again = bulk(clientFor("ie_writer"), SKIP, "k1", text);
        assertEquals(again.toString(), false, again.get("errors"));
        long[] afterWriteOnly = skipStats();
        assertEquals("nothing reused for a writer who may not read", before[0], afterWriteOnly[0]);
        assertEquals(before[1] + 1, afterWriteOnly[1]);
        Map<String, Object> reused = bulk(clientFor("ie_writer_reuse"), SKIP, "k1", text);
        assertEquals(reused.toString(), false, reused.get("errors"));
        long[] afterReader = skipStats();
        assertEquals("the stored vector reused for a writer who may read", afterWriteOnly[0] + 1, afterReader[0]);
        assertEquals(afterWriteOnly[1], afterReader[1]);
    }

    /** skip_existing's texts skipped and texts embedded for the model, over all nodes (as admin). */
    @SuppressWarnings("unchecked")
    private long[] skipStats() throws IOException {
        Map<String, Object> stats = entityAsMap(client().performRequest(new Request("GET", API + "/stats")));
        long skipped = 0;
        long embedded = 0;
        for (Object node : ((Map<String, Object>) stats.get("nodes")).values()) {
            Map<String, Object> model = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) node).get("models")).get(MODEL);
            Map<String, Object> skip = (Map<String, Object>) model.get("skip_existing");
            skipped += ((Number) skip.get("texts_skipped")).longValue();
            embedded += ((Number) skip.get("texts_embedded")).longValue();
        }
        return new long[] { skipped, embedded };
    }

    private static String embedBody() {
        return "{\"model_id\":\"" + MODEL + "\",\"input_type\":\"query\",\"texts\":[\"hello\"]}";
    }

    private static String knnSearch(String text) {
        return "{\"size\":2,\"_source\":false,\"query\":{\"instruct_knn\":{\"text_vector\":{\"query_text\":\"" + text + "\",\"k\":2}}}}";
    }

    private static Map<String, Object> bulk(RestClient client, String index, String id, String text) throws IOException {
        Request request = new Request("POST", "/" + index + "/_bulk");
        request.addParameter("refresh", "true");
        request.setJsonEntity("{\"index\":{\"_id\":\"" + id + "\"}}\n{\"text\":\"" + text + "\"}\n");
        try {
            return entityAsMap(client.performRequest(request));
        } catch (ResponseException e) {
            return entityAsMap(e.getResponse());
        }
    }

    private static Response perform(RestClient client, String method, String path, String json) throws IOException {
        Request request = new Request(method, path);
        if (json != null) {
            request.setJsonEntity(json);
        }
        return client.performRequest(request);
    }

    private static int status(RestClient client, String method, String path, String json) throws IOException {
        try {
            return perform(client, method, path, json).getStatusLine().getStatusCode();
        } catch (ResponseException e) {
            return e.getResponse().getStatusLine().getStatusCode();
        }
    }

    private static String body(RestClient client, String method, String path) throws IOException {
        return new String(perform(client, method, path, null).getEntity().getContent().readAllBytes(), StandardCharsets.UTF_8);
    }

    private void put(String path, String json) throws IOException {
        Response response = perform(client(), "PUT", path, json);
        assertTrue(path + " answered " + response.getStatusLine(), response.getStatusLine().getStatusCode() < 300);
    }

    private void deleteIfPresent(String index) throws IOException {
        int status = status(client(), "DELETE", "/" + index, null);
        assertTrue("DELETE " + index + " answered " + status, status == 200 || status == 404);
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
