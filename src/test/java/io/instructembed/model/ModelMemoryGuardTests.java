package io.instructembed.model;

import io.instructembed.pack.InputType;
import io.instructembed.support.TestModelServices;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.test.OpenSearchTestCase;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** instruct_embed.memory.max_model_bytes refuses a load that would go over it, with the numbers. */
public class ModelMemoryGuardTests extends OpenSearchTestCase {

    private static List<Embedding> embed(ModelService service, String model) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        service.embed(new ModelService.EmbedCall(model, List.of("x"), InputType.DOCUMENT, null, null), future);
        return future.actionGet(60, TimeUnit.SECONDS);
    }

    public void testALoadOverTheLimitIsRefusedAndUnloadingMakesRoom() throws Exception {
        // the fp32 graph is 133 MB, the int8 one 34 MB: 150 MB holds one of them, not both
        long limit = 150L << 20;
        try (
            TestModelServices models = TestModelServices.bundled(null, "auto", List.of(), 1, new ModelService.SchedulerConfig(1, 4096, 256, 0, limit))
        ) {
            assertEquals(384, embed(models.service, "bge-small-en-v1.5").get(0).vector().length);
            Exception e = expectThrows(Exception.class, () -> embed(models.service, "bge-small-en-v1.5-int8"));
            OpenSearchStatusException refusal = (OpenSearchStatusException) org.opensearch.ExceptionsHelper.unwrap(e, OpenSearchStatusException.class);
            assertNotNull(e.toString(), refusal);
            assertEquals(RestStatus.TOO_MANY_REQUESTS, refusal.status());
            assertTrue(refusal.getMessage(), refusal.getMessage().contains("model [bge-small-en-v1.5-int8] needs 32 MB, but instruct_embed.memory.max_model_bytes is 150 MB and 126 MB are taken by [bge-small-en-v1.5]"));

            models.service.unload("bge-small-en-v1.5", 10, TimeUnit.SECONDS);
            assertEquals(384, embed(models.service, "bge-small-en-v1.5-int8").get(0).vector().length);
        }
    }
}
