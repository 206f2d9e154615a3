package io.instructembed.ingest;

import io.instructembed.field.InstructTextSpec;
import io.instructembed.field.InstructTextSpecParser;
import io.instructembed.support.TestModelServices;
import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.opensearch.OpenSearchException;
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

    /** An instruct_text field's processor is built from its spec, through the same checks as a pipeline's. */
    public void testFieldsAndPipelinesShareTheChecks() {
        try (TestModelServices models = TestModelServices.bundled()) {
            InstructEmbeddingProcessorFactory factory = new InstructEmbeddingProcessorFactory(() -> models.service, () -> null, () -> null);
            InstructTextSpec spec = InstructTextSpecParser.parse("body", Map.of("type", "instruct_text", "model_id", BGE, "task", "similarity"));
            InstructEmbeddingProcessor processor = factory.forField(spec);
            assertEquals(BGE, processor.modelId());
            assertEquals(Map.of("body", "body_instruct.chunks"), processor.fieldMap());
            assertEquals(models.packs.get(BGE).orElseThrow().identity(), processor.packIdentity());

            InstructTextSpec tooLarge = InstructTextSpecParser.parse(
                "body",
                Map.of("type", "instruct_text", "model_id", BGE, "chunking", Map.of("max_tokens", 511))
            );
            OpenSearchException chunking = expectThrows(OpenSearchException.class, () -> factory.forField(tooLarge));
            assertEquals(List.of("chunking"), chunking.getMetadata("opensearch.property_name"));
            assertEquals("[chunking] [max_tokens] is [511], but model [" + BGE + "] takes at most 510 tokens of text per chunk after its document prompt",
                chunking.getMessage());

            Map<String, Object> dancing = config(new HashMap<>());
            dancing.put("task", "dancing");
            OpenSearchException task = expectThrows(OpenSearchException.class, () -> factory.create(Map.of(), "t", null, dancing));
            assertEquals(List.of("task"), task.getMetadata("opensearch.property_name"));
            assertTrue(task.getMessage(), task.getMessage().startsWith("[task] model [" + BGE + "] has no task [dancing]; its tasks are ["));

            Map<String, Object> unknown = config(new HashMap<>());
            unknown.put("model_id", "no-such-model");
            OpenSearchException model = expectThrows(OpenSearchException.class, () -> factory.create(Map.of(), "t", null, unknown));
            assertEquals(List.of("model_id"), model.getMetadata("opensearch.property_name"));
            assertTrue(model.getMessage(), model.getMessage().startsWith("[model_id] model [no-such-model] not found; models are ["));
        }
    }
}
