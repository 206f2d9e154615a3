package io.instructembed.pack;

import io.instructembed.support.TestModelServices;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Path;
import java.util.List;

/**
 * The pack archives built into target/packs/ are found as user packs, and the tokens a chunk may
 * hold after each one's document prompt are what the user guide says: max tokens less the special
 * tokens and the prompt, as the pack's own tokenizer counts them.
 */
public class PackArchiveBudgetsTests extends OpenSearchTestCase {

    public void testEveryArchiveIsAvailableWithItsChunkBudget() {
        Path archives = Path.of(System.getProperty("instruct_embed.test.pack_archives"));
        try (TestModelServices models = TestModelServices.bundled(archives, "auto", List.of(), 1, 1)) {
            for (String id : List.of("e5-small-v2", "e5-small-v2-int8", "bge-small-zh-v1.5", "all-minilm-l6-v2")) {
                assertEquals(id, PackState.AVAILABLE, models.service.packs().get(id).orElseThrow().state());
            }
            // [CLS] and [SEP], and "passage: " as two tokens
            assertEquals(508, models.service.knownChunkBudget("e5-small-v2", null).getAsInt());
            assertEquals(508, models.service.knownChunkBudget("e5-small-v2-int8", "retrieval").getAsInt());
            // a symmetric task documents with "query: ", also two tokens; "bare" with none
            assertEquals(508, models.service.knownChunkBudget("e5-small-v2", "similarity").getAsInt());
            assertEquals(510, models.service.knownChunkBudget("e5-small-v2", "bare").getAsInt());
            assertEquals(510, models.service.knownChunkBudget("bge-small-zh-v1.5", null).getAsInt());
            assertEquals(254, models.service.knownChunkBudget("all-minilm-l6-v2", null).getAsInt());
        }
    }
}
