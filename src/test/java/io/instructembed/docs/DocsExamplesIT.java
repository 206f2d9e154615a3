package io.instructembed.docs;

import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs every {@code curl} example of the README and of {@code docs/*.md} against the test node,
 * in document order, and fails on any error status: the documentation stays true.
 */
public class DocsExamplesIT extends OpenSearchRestTestCase {

    /** One curl command of a {@code bash} block: method, path with query string, and body. */
    record Example(String file, String method, String path, String body) {}

    private static final Pattern BASH_BLOCK = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern CURL = Pattern.compile(
        "curl(?: -X(\\w+))? '(?:http://127\\.0\\.0\\.1:9200)([^']*)'(?: -H '[^']*')*(?: -d '(.*?)')?(?=\\n|$)",
        Pattern.DOTALL
    );

    static List<Example> examples(Path file) throws IOException {
        List<Example> examples = new ArrayList<>();
        Matcher block = BASH_BLOCK.matcher(Files.readString(file));
        while (block.find()) {
            Matcher curl = CURL.matcher(block.group(1));
            while (curl.find()) {
                String body = curl.group(3);
                String method = curl.group(1) != null ? curl.group(1) : (body != null ? "POST" : "GET");
                examples.add(new Example(file.getFileName().toString(), method, curl.group(2), body));
            }
        }
        return examples;
    }

    private void run(Path file) throws IOException {
        List<Example> examples = examples(file);
        assertFalse("no curl examples found in " + file, examples.isEmpty());
        for (Example example : examples) {
            // start each file's indices and pipelines afresh, so the docs can be run again
            if ("PUT".equals(example.method()) && example.path().matches("/[a-z0-9-]+")) {
                deleteIfPresent(example.path());
            }
            Request request = new Request(example.method(), example.path());
            if (example.body() != null) {
                ContentType type = example.path().contains("_bulk") ? ContentType.create("application/x-ndjson") : ContentType.APPLICATION_JSON;
                request.setEntity(new StringEntity(example.body().strip() + "\n", type));
            }
            try {
                Response response = client().performRequest(request);
                int status = response.getStatusLine().getStatusCode();
                assertTrue(example + " answered " + status, status < 300);
                String answer = new String(response.getEntity().getContent().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertFalse(example + " reported errors: " + answer, answer.contains("\"errors\":true"));
            } catch (ResponseException e) {
                fail(example + " failed: " + e.getMessage());
            }
        }
        logger.info("{}: {} curl examples ran", file.getFileName(), examples.size());
    }

    private void deleteIfPresent(String index) throws IOException {
        try {
            client().performRequest(new Request("DELETE", index));
        } catch (ResponseException e) {
            assertEquals(404, e.getResponse().getStatusLine().getStatusCode());
        }
    }

    public void testUserGuideExamples() throws IOException {
        run(Path.of("docs/user-guide.md"));
    }

    public void testOpenAiExamples() throws IOException {
        run(Path.of("docs/openai.md"));
    }

    public void testServingNodesExamples() throws IOException {
        run(Path.of("docs/serving-nodes.md"));
    }

    public void testReadmeExamples() throws IOException {
        run(Path.of("README.md"));
        // a reader's first index on a single node is green: the examples ask for no replica it cannot have
        Map<String, Object> health = entityAsMap(client().performRequest(new Request("GET", "/_cluster/health/notes,articles?wait_for_status=green&timeout=20s")));
        assertEquals(health.toString(), "green", health.get("status"));
    }

    public void testTheExtractorSeesMultiLineBodies() throws IOException {
        Path file = createTempFile();
        Files.writeString(
            file,
            "text\n```bash\ncurl -XPUT 'http://127.0.0.1:9200/x' -H 'Content-Type: application/json' -d '\n{\"a\": 1,\n \"b\": 2}'\n"
                + "curl 'http://127.0.0.1:9200/_cat/indices'\nbin/opensearch-plugin install something\n```\n"
        );
        List<Example> examples = examples(file);
        assertEquals(2, examples.size());
        assertEquals(new Example(file.getFileName().toString(), "PUT", "/x", "\n{\"a\": 1,\n \"b\": 2}"), examples.get(0));
        assertEquals("GET", examples.get(1).method());
        assertEquals("/_cat/indices", examples.get(1).path());
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;
    }
}
