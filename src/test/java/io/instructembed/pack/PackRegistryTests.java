package io.instructembed.pack;

import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

// The test file system may add stray "extra" entries to temp dirs; here each folder is a pack.
@org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class PackRegistryTests extends OpenSearchTestCase {

    private Path config;
    private Path bundled;

    @Override
    public void setUp() throws Exception {
        super.setUp();
        Path root = createTempDir();
        config = root.resolve("config-packs");
        bundled = root.resolve("bundled-packs");
        Files.createDirectories(config);
        Files.createDirectories(bundled);
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private static String manifest(String id) {
        return PackManifestParserTests.VALID.replace("\"id\": \"tiny\"", "\"id\": \"" + id + "\"");
    }

    public void testPackWithAllFilesIsAvailable() throws IOException {
        write(bundled.resolve("tiny/pack.json"), manifest("tiny"));
        for (String f : new String[] { "model.onnx", "model.onnx_data", "tokenizer.json" }) {
            write(bundled.resolve("tiny").resolve(f), "x");
        }
        ModelPack pack = PackRegistry.scan(config, bundled).get("tiny").orElseThrow();
        assertEquals(PackState.AVAILABLE, pack.state());
        assertEquals(bundled.resolve("tiny/model.onnx"), pack.modelPath());
        assertEquals(bundled.resolve("tiny/tokenizer.json"), pack.tokenizerPath());
    }

    public void testAnAvailablePackRecordsWhenItsFilesLastChanged() throws IOException {
        write(bundled.resolve("tiny/pack.json"), manifest("tiny"));
        for (String f : new String[] { "model.onnx", "model.onnx_data", "tokenizer.json" }) {
            write(bundled.resolve("tiny").resolve(f), "x");
        }
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L);
        for (String f : new String[] { "pack.json", "model.onnx", "tokenizer.json" }) {
            Files.setLastModifiedTime(bundled.resolve("tiny").resolve(f), old);
        }
        // the latest of the pack's files: here its external data
        Files.setLastModifiedTime(bundled.resolve("tiny/model.onnx_data"), java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_500L));
        assertEquals(1_700_000_000L, PackRegistry.scan(config, bundled).get("tiny").orElseThrow().filesModified());

        Files.delete(bundled.resolve("tiny/tokenizer.json"));
        assertEquals("not available: nothing to date", 0, PackRegistry.scan(config, bundled).get("tiny").orElseThrow().filesModified());
    }

    public void testMissingWeightsAreListedWithTheFolderToPutThemIn() throws IOException {
        write(bundled.resolve("tiny/pack.json"), manifest("tiny"));
        write(bundled.resolve("tiny/model.onnx"), "x");
        ModelPack pack = PackRegistry.scan(config, bundled).get("tiny").orElseThrow();
        assertEquals(PackState.WEIGHTS_MISSING, pack.state());
        assertEquals(java.util.List.of("model.onnx_data", "tokenizer.json"), pack.missingFiles());
        assertEquals(config.resolve("tiny"), pack.installDir());
    }

    public void testUserSuppliesWeightsOfABundledManifest() throws IOException {
        write(bundled.resolve("tiny/pack.json"), manifest("tiny"));
        for (String f : new String[] { "model.onnx", "model.onnx_data", "tokenizer.json" }) {
            write(config.resolve("tiny").resolve(f), "x");
        }
        ModelPack pack = PackRegistry.scan(config, bundled).get("tiny").orElseThrow();
        assertEquals(PackState.AVAILABLE, pack.state());
        assertEquals(config.resolve("tiny"), pack.modelDir());
        assertEquals(bundled.resolve("tiny/pack.json"), pack.manifestPath());
    }

    public void testUserManifestOverridesTheBundledOne() throws IOException {
        write(bundled.resolve("tiny/pack.json"), manifest("tiny"));
        write(config.resolve("tiny/pack.json"), manifest("tiny").replace("\"dimensions\": 8", "\"dimensions\": 16"));
        ModelPack pack = PackRegistry.scan(config, bundled).get("tiny").orElseThrow();
        assertEquals(16, pack.manifest().dimensions());
    }

    public void testBrokenPacksAreRecordedNotThrown() throws IOException {
        write(bundled.resolve("broken/pack.json"), "{ nope");
        write(bundled.resolve("wrong-id/pack.json"), manifest("other-id"));
        Files.createDirectories(config.resolve("no-manifest"));
        Files.createDirectories(config.resolve("Bad Name"));
        PackRegistry registry = PackRegistry.scan(config, bundled);
        assertEquals(java.util.Set.of("broken", "no-manifest", "wrong-id"), registry.ids());
        for (ModelPack pack : registry.all()) {
            assertEquals(PackState.INVALID, pack.state());
            assertNull(pack.manifest());
            assertFalse(pack.problems().isEmpty());
        }
        assertTrue(registry.get("wrong-id").orElseThrow().problems().get(0).contains("[id] is [other-id] but the folder is named [wrong-id]"));
        assertTrue(registry.get("no-manifest").orElseThrow().problems().get(0).startsWith("no pack.json"));
    }

    public void testMissingRootsGiveAnEmptyRegistry() {
        PackRegistry registry = PackRegistry.scan(config.resolve("absent"), bundled.resolve("absent"));
        assertTrue(registry.ids().isEmpty());
    }
}
