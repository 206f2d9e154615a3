package io.instructembed.ingest;

import io.instructembed.support.TestModelServices;
import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.opensearch.OpenSearchParseException;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pipeline factories run on cluster-state threads (the ingest service builds pipelines while it
 * applies a cluster state) and in put-pipeline validation: they must never load a file (issue #21,
 * item 4). The chunk size they check is the one the model service learnt at its start.
 */
// each folder of the user packs is a pack
@SuppressFileSystems("ExtrasFS")
public class InstructEmbeddingProcessorFactoryTests extends OpenSearchTestCase {
    private static final String BGE = "bge-small-en-v1.5";

    private static Map<String, Object> config(Map<String, Object> chunking) {
        Map<String, Object> config = new HashMap<>();
        config.put("model_id", BGE);
        config.put("field_map", new HashMap<>(Map.of("body", "body_chunks")));
        config.put("chunking", chunking);
        return config;
    }

    public void testChunkingIsCheckedWithoutReadingTheTokenizer() throws IOException {
        // bge's tokenizer from the node's config folder, which takes precedence over the bundled one
        Path userPacks = createTempDir();
        Path bundledTokenizer = Path.of(System.getProperty("instruct_embed.test.packs"), BGE, "bge-small-en-v1.5-tokenizer.json");
        Path tokenizer = userPacks.resolve(BGE).resolve(bundledTokenizer.getFileName().toString());
        Files.createDirectories(tokenizer.getParent());
        Files.copy(bundledTokenizer, tokenizer);
        try (TestModelServices models = TestModelServices.bundled(userPacks, "cpu", List.of(), 1, 1)) {
            assertEquals(tokenizer, models.packs.get(BGE).orElseThrow().tokenizerPath());
            // once the service has started, the factory has no file to read: it would fail to
            Files.delete(tokenizer);
            InstructEmbeddingProcessorFactory factory = new InstructEmbeddingProcessorFactory(() -> models.service, () -> null, () -> null);

            assertNotNull(factory.create(Map.of(), "t", null, config(new HashMap<>())));
            assertNotNull(factory.create(Map.of(), "t", null, config(new HashMap<>(Map.of("max_tokens", 510)))));
            OpenSearchParseException tooLarge = expectThrows(
                OpenSearchParseException.class,
                () -> factory.create(Map.of(), "t", null, config(new HashMap<>(Map.of("max_tokens", 511))))
            );
            assertTrue(tooLarge.getMessage(), tooLarge.getMessage().contains("takes at most 510 tokens of text per chunk"));
        }
    }
}
