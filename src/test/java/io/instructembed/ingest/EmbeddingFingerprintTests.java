package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingMethod;
import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.pack.PackManifest;
import io.instructembed.pack.PackRegistry;
import io.instructembed.support.StandInModel;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A fingerprint changes with every input of the vectors (text, model, prompt, task, chunking) and with nothing else. */
public class EmbeddingFingerprintTests extends OpenSearchTestCase {

    private static PackManifest manifest(String id) {
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        return PackRegistry.scan(StandInModel.packsDir(), bundled).get(id).orElseThrow().manifest();
    }

    public void testSameInputsGiveTheSameFingerprint() {
        PackManifest bge = manifest("bge-small-en-v1.5");
        String a = new EmbeddingFingerprint(bge, null, null).of(List.of("some text"), false);
        String b = new EmbeddingFingerprint(bge, null, null).of(List.of("some text"), false);
        assertEquals(a, b);
        // <model part>.<text part>: 11 + 1 + 22 characters, and the text part is the write rule's own digest
        assertEquals(34, a.length());
        assertEquals(io.instructembed.writerule.TextDigest.of(List.of("some text"), false), io.instructembed.writerule.TextDigest.textPart(a));
    }

    public void testEveryInputOfTheVectorsChangesIt() {
        PackManifest bge = manifest("bge-small-en-v1.5");
        PackManifest bgeInt8 = manifest("bge-small-en-v1.5-int8");
        PackManifest sarashina = manifest("sarashina-embedding-v2-1b");
        ChunkingOptions sentences = new ChunkingOptions(ChunkingMethod.SENTENCES, 256, 0);
        Set<String> seen = new HashSet<>();
        List<String> all = List.of(
            new EmbeddingFingerprint(bge, null, null).of(List.of("some text"), false),
            new EmbeddingFingerprint(bge, null, null).of(List.of("some text."), false),                 // text
            new EmbeddingFingerprint(bge, null, null).of(List.of("some text"), true),                   // string vs array of one
            new EmbeddingFingerprint(bge, null, null).of(List.of("some", "text"), true),                // array elements
            new EmbeddingFingerprint(bge, null, null).of(List.of("some te", "xt"), true),
            new EmbeddingFingerprint(bgeInt8, null, null).of(List.of("some text"), false),              // model
            new EmbeddingFingerprint(sarashina, null, null).of(List.of("some text"), false),            // prompt "text: "
            new EmbeddingFingerprint(sarashina, "sts", null).of(List.of("some text"), false),           // task instruction
            new EmbeddingFingerprint(sarashina, "clustering", null).of(List.of("some text"), false),
            new EmbeddingFingerprint(bge, null, sentences).of(List.of("some text"), false),             // chunking
            new EmbeddingFingerprint(bge, null, new ChunkingOptions(ChunkingMethod.TOKENS, 256, 0)).of(List.of("some text"), false),
            new EmbeddingFingerprint(bge, null, new ChunkingOptions(ChunkingMethod.SENTENCES, 128, 0)).of(List.of("some text"), false),
            new EmbeddingFingerprint(bge, null, new ChunkingOptions(ChunkingMethod.SENTENCES, 256, 32)).of(List.of("some text"), false)
        );
        for (String fingerprint : all) {
            assertTrue("fingerprints must differ: " + all, seen.add(fingerprint));
        }
        // what counts is the text the model sees: bge's similarity task renders documents bare, as its default does
        assertEquals(all.get(0), new EmbeddingFingerprint(bge, "similarity", null).of(List.of("some text"), false));
    }

    public void testValueAtFollowsDottedPaths() {
        Map<String, Object> source = Map.of("a", Map.of("b", Map.of("c", 1)), "x.y", 2, "top", 3);
        assertEquals(1, EmbeddingFingerprint.valueAt(source, "a.b.c"));
        assertEquals(2, EmbeddingFingerprint.valueAt(source, "x.y"));
        assertEquals(3, EmbeddingFingerprint.valueAt(source, "top"));
        assertNull(EmbeddingFingerprint.valueAt(source, "a.b.d"));
        assertNull(EmbeddingFingerprint.valueAt(null, "a"));
    }
}
