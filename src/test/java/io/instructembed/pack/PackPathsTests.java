package io.instructembed.pack;

import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Files;
import java.nio.file.Path;

/** Pack paths reach callers relative to the node's config or plugins directory, never absolute. */
public class PackPathsTests extends OpenSearchTestCase {

    public void testPathsAreShownUnderTheirDirectorysLabel() {
        Path config = createTempDir().resolve("config").resolve("instruct-embed").resolve("packs");
        Path bundled = createTempDir().resolve("plugins").resolve("instruct-embed").resolve("model-packs");
        PackPaths paths = new PackPaths(config, bundled);
        assertEquals("config/instruct-embed/packs/sfr/model.onnx", paths.display(config.resolve("sfr").resolve("model.onnx")));
        assertEquals("plugins/instruct-embed/model-packs/bge", paths.display(bundled.resolve("bge")));
        assertEquals("config/instruct-embed/packs", paths.display(config));
        assertEquals("elsewhere.onnx", paths.display(createTempDir().resolve("elsewhere.onnx")));
        String message = "Load model from " + config.toAbsolutePath().resolve("sfr").resolve("model.onnx") + " failed";
        assertEquals("Load model from config/instruct-embed/packs/sfr/model.onnx failed", paths.redact(message));
    }

    public void testAnInvalidPacksProblemsNameNoAbsolutePath() throws Exception {
        Path config = createTempDir();
        Path bundled = createTempDir();
        Files.createDirectories(config.resolve("broken"));
        // a pack folder without its manifest: the problem names both folders it looked in
        ModelPack pack = PackRegistry.scan(config, bundled).get("broken").orElseThrow();
        assertEquals(PackState.INVALID, pack.state());
        for (String problem : pack.problems()) {
            assertFalse(problem, problem.contains(config.toAbsolutePath().toString()));
        }
        assertTrue(pack.problems().toString(), pack.problems().toString().contains("no pack.json in config/instruct-embed/packs/broken or plugins/instruct-embed/model-packs/broken"));
    }
}
