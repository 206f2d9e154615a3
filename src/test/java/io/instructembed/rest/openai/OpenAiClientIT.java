package io.instructembed.rest.openai;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import io.instructembed.support.GoldenVectors;
import io.instructembed.support.GoldenVectors.Golden;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The official OpenAI Java client, with its base URL pointed at the test node: what applications
 * that already speak the OpenAI embeddings API will do. A plain JUnit test: the client's own
 * dependencies stay out of OpenSearch's test bootstrap.
 */
public class OpenAiClientIT {
    private static OpenAIClient client;

    @BeforeClass
    public static void connect() {
        String cluster = System.getProperty("tests.rest.cluster").split(",")[0];
        client = OpenAIOkHttpClient.builder()
            .baseUrl("http://" + cluster + "/_plugins/_instruct_embed/v1")
            .apiKey("not-used-by-the-node")
            .maxRetries(0)
            .build();
    }

    @AfterClass
    public static void close() {
        client.close();
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    @Test
    public void documentsAsFloatsMatchTheGoldenVectors() throws Exception {
        List<Golden> golden = GoldenVectors.documents().subList(0, 8);
        CreateEmbeddingResponse response = client.embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("bge-small-en-v1.5")
                    .input(EmbeddingCreateParams.Input.ofArrayOfStrings(golden.stream().map(Golden::text).toList()))
                    .user("someone")
                    .build()
            );
        assertEquals("bge-small-en-v1.5", response.model());
        assertEquals(golden.size(), response.data().size());
        long tokens = 0;
        for (int i = 0; i < golden.size(); i++) {
            assertEquals(i, response.data().get(i).index());
            double cosine = GoldenVectors.cosine(golden.get(i).vector(), floats(response.data().get(i).embedding()));
            assertTrue("document " + i + " cosine " + cosine, cosine >= 0.9999);
        }
        tokens = response.usage().promptTokens();
        assertTrue(tokens > golden.size());
        assertEquals(tokens, response.usage().totalTokens());
    }

    @Test
    public void base64QueriesWithTheRetrievalTaskMatchTheGoldenVectors() throws Exception {
        Golden query = GoldenVectors.queries().get(0);
        CreateEmbeddingResponse response = client.embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("bge-small-en-v1.5")
                    .input(query.text())
                    .encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64)
                    .putAdditionalBodyProperty("input_type", JsonValue.from("query"))
                    .putAdditionalBodyProperty("task", JsonValue.from("retrieval"))
                    .build()
            );
        String encoded = response.data().get(0).embeddingValue().asBase64();
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN);
        float[] vector = new float[bytes.remaining() / Float.BYTES];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = bytes.getFloat();
        }
        assertEquals(384, vector.length);
        assertTrue(GoldenVectors.cosine(query.vector(), vector) >= 0.9999);
    }

    @Test
    public void errorsComeInOpenAiShape() {
        OpenAIServiceException missing = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings().create(EmbeddingCreateParams.builder().model("no-such-model").input("x").build())
        );
        assertEquals(404, missing.statusCode());
        assertEquals("invalid_request_error", missing.type().orElseThrow());
        assertEquals("model_not_found", missing.code().orElseThrow());

        OpenAIServiceException dimensions = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings().create(EmbeddingCreateParams.builder().model("bge-small-en-v1.5").input("x").dimensions(128).build())
        );
        assertEquals(400, dimensions.statusCode());
        assertEquals("dimensions", dimensions.param().orElseThrow());

        OpenAIServiceException tokens = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings()
                .create(
                    EmbeddingCreateParams.builder().model("bge-small-en-v1.5").input(EmbeddingCreateParams.Input.ofArrayOfTokens(List.of(1L, 2L))).build()
                )
        );
        assertEquals(400, tokens.statusCode());
        assertEquals("input", tokens.param().orElseThrow());

        // each error names the parameter it is about, as OpenAI's own API does
        OpenAIServiceException tooMany = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings()
                .create(EmbeddingCreateParams.builder().model("bge-small-en-v1.5").inputOfArrayOfStrings(java.util.Collections.nCopies(300, "x")).build())
        );
        assertEquals(400, tooMany.statusCode());
        assertEquals("input", tooMany.param().orElseThrow());
        OpenAIServiceException blank = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings().create(EmbeddingCreateParams.builder().model("bge-small-en-v1.5").input(" ").build())
        );
        assertEquals("input", blank.param().orElseThrow());
        OpenAIServiceException task = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings()
                .create(
                    EmbeddingCreateParams.builder()
                        .model("bge-small-en-v1.5")
                        .input("x")
                        .putAdditionalBodyProperty("input_type", com.openai.core.JsonValue.from("query"))
                        .putAdditionalBodyProperty("task", com.openai.core.JsonValue.from("dancing"))
                        .build()
                )
        );
        assertEquals(400, task.statusCode());
        assertEquals("task", task.param().orElseThrow());
        OpenAIServiceException both = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings()
                .create(
                    EmbeddingCreateParams.builder()
                        .model("bge-small-en-v1.5")
                        .input("x")
                        .putAdditionalBodyProperty("input_type", com.openai.core.JsonValue.from("query"))
                        .putAdditionalBodyProperty("task", com.openai.core.JsonValue.from("retrieval"))
                        .putAdditionalBodyProperty("instruction", com.openai.core.JsonValue.from("Find: "))
                        .build()
                )
        );
        assertEquals("task", both.param().orElseThrow());
        OpenAIServiceException unknownQuery = assertThrows(
            OpenAIServiceException.class,
            () -> client.embeddings()
                .create(
                    EmbeddingCreateParams.builder().model("bge-small-en-v1.5").input("x").putAdditionalQueryParam("stream", "true").build()
                )
        );
        assertEquals(400, unknownQuery.statusCode());
        assertEquals("stream", unknownQuery.param().orElseThrow());
        assertEquals("invalid_request_error", unknownQuery.type().orElseThrow());
    }

    @Test
    public void theModelsOwnDimensionsAreAccepted() {
        CreateEmbeddingResponse response = client.embeddings()
            .create(EmbeddingCreateParams.builder().model("bge-small-en-v1.5-int8").input("hello").dimensions(384).build());
        assertEquals(384, response.data().get(0).embedding().size());
    }

    @Test
    public void modelsListsThePacksThisNodeCanEmbedWith() {
        List<Model> models = client.models().list().data();
        // the test node's packs with all their files (pack archives included); the one without weights and the invalid one are left out
        assertEquals(
            List.of(
                "all-minilm-l6-v2",
                "bge-small-en-v1.5",
                "bge-small-en-v1.5-int8",
                "bge-small-zh-v1.5",
                "e5-small-v2",
                "e5-small-v2-int8",
                "sarashina-embedding-v2-1b",
                "sfr-embedding-2-r",
                "sfr-embedding-mistral"
            ),
            models.stream().map(Model::id).toList()
        );
        for (Model model : models) {
            assertEquals("instruct-embed", model.ownedBy());
            assertTrue(model.id() + " created " + model.created(), model.created() > 1_000_000_000L);
            // every listed model embeds
            assertEquals(1, client.embeddings().create(EmbeddingCreateParams.builder().model(model.id()).input("hello").build()).data().size());
        }
    }

    @Test
    public void oneModelByIdAndUnknownOnesAre404() {
        Model model = client.models().retrieve("bge-small-en-v1.5");
        assertEquals("bge-small-en-v1.5", model.id());
        assertEquals("instruct-embed", model.ownedBy());
        assertTrue(model.created() > 1_000_000_000L);

        // a URL parameter OpenAI's API does not have is a 400 naming it, on both routes
        for (Runnable call : List.<Runnable>of(
            () -> client.models().list(com.openai.models.models.ModelListParams.builder().putAdditionalQueryParam("stream", "true").build()),
            () -> client.models()
                .retrieve(com.openai.models.models.ModelRetrieveParams.builder().model("bge-small-en-v1.5").putAdditionalQueryParam("stream", "true").build())
        )) {
            OpenAIServiceException unknown = assertThrows(OpenAIServiceException.class, call::run);
            assertEquals(400, unknown.statusCode());
            assertEquals("stream", unknown.param().orElseThrow());
            assertEquals("invalid_request_error", unknown.type().orElseThrow());
        }

        for (String id : List.of("no-such-model", "test-pack-without-weights", "test-pack-invalid")) {
            OpenAIServiceException missing = assertThrows(OpenAIServiceException.class, () -> client.models().retrieve(id));
            assertEquals(id, 404, missing.statusCode());
            assertEquals("invalid_request_error", missing.type().orElseThrow());
            assertEquals("model_not_found", missing.code().orElseThrow());
            assertEquals("model", missing.param().orElseThrow());
        }
    }
}
