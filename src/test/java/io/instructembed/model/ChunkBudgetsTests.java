package io.instructembed.model;

import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import io.instructembed.support.StandInModel;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chunk budgets are learnt once, at the model service's start, so that the cluster-state threads
 * that build pipelines and check mappings only read them (issue #21, item 4).
 */
public class ChunkBudgetsTests extends OpenSearchTestCase {

    private static PackRegistry packs() {
        NativeLibraries.configureDjl(Path.of(System.getProperty("java.io.tmpdir")));
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        return PackRegistry.scan(StandInModel.packsDir(), bundled);
    }

    public void testEveryAvailablePackAndTaskIsLearntWithOneTokenizerLoadPerPack() {
        PackRegistry packs = packs();
        List<String> loaded = new ArrayList<>();
        ChunkBudgets budgets = ChunkBudgets.learn(packs, pack -> {
            loaded.add(pack.id());
            return ChunkBudgets.FROM_PACK_FILES.load(pack);
        });
        List<String> available = packs.all().stream().filter(p -> p.state() == PackState.AVAILABLE).map(ModelPack::id).toList();
        assertFalse(available.isEmpty());
        assertEquals(available, loaded);
        for (ModelPack pack : packs.all()) {
            if (pack.state() != PackState.AVAILABLE) {
                continue;
            }
            assertTrue(pack.id(), budgets.known(pack, null).isPresent());
            for (String task : pack.manifest().tasks().keySet()) {
                assertTrue(pack.id() + " " + task, budgets.known(pack, task).isPresent());
            }
        }
        assertEquals("asking reads nothing", available, loaded);
    }

    public void testAPackWhoseTokenizerFailsIsLeftToTheModelsThread() {
        PackRegistry packs = packs();
        ModelPack bge = packs.get("bge-small-en-v1.5").orElseThrow();
        ChunkBudgets budgets = ChunkBudgets.learn(packs, pack -> {
            if (pack == bge) {
                throw new IOException("unreadable");
            }
            return ChunkBudgets.FROM_PACK_FILES.load(pack);
        });
        assertTrue(budgets.known(bge, null).isEmpty());
        assertTrue("the other packs are learnt", budgets.known(packs.get("bge-small-en-v1.5-int8").orElseThrow(), null).isPresent());
        // when documents are chunked, the loaded model's tokenizer counts it, once
        AtomicInteger counted = new AtomicInteger();
        int budget = budgets.of(bge, null, text -> {
            counted.incrementAndGet();
            return new TokenizedText(new long[] { 101, 102 }, new long[] { 1, 1 }, false);
        });
        assertEquals(510, budget);
        assertEquals(510, budgets.of(bge, null, text -> { throw new AssertionError("counted again"); }));
        assertEquals(1, counted.get());
        assertEquals(510, budgets.known(bge, null).getAsInt());
    }
}
