package io.instructembed.support;

import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The reference embeddings of bge-small-en-v1.5 (copied from the project's shared reference set):
 * computed by two independent implementations, so a correct pipeline must reproduce them.
 */
public final class GoldenVectors {
    private GoldenVectors() {}

    public record Golden(String text, String prefix, float[] vector) {}

    public static List<Golden> documents() throws IOException {
        return read("/reference/bge-small-en-v1.5.documents.jsonl");
    }

    public static List<Golden> queries() throws IOException {
        return read("/reference/bge-small-en-v1.5.queries.jsonl");
    }

    private static List<Golden> read(String resource) throws IOException {
        List<Golden> rows = new ArrayList<>();
        try (InputStream in = GoldenVectors.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                try (
                    XContentParser parser = JsonXContent.jsonXContent.createParser(
                        NamedXContentRegistry.EMPTY,
                        DeprecationHandler.THROW_UNSUPPORTED_OPERATION,
                        line
                    )
                ) {
                    Map<String, Object> row = parser.map();
                    List<?> values = (List<?>) row.get("vector");
                    float[] vector = new float[values.size()];
                    for (int i = 0; i < vector.length; i++) {
                        vector[i] = ((Number) values.get(i)).floatValue();
                    }
                    rows.add(new Golden((String) row.get("text"), (String) row.get("prefix"), vector));
                }
            }
        }
        return rows;
    }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("dimensions differ: " + a.length + " vs " + b.length);
        }
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
