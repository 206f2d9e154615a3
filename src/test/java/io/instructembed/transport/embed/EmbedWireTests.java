package io.instructembed.transport.embed;

import io.instructembed.model.Embedding;
import io.instructembed.pack.InputType;
import io.instructembed.support.WireRoundTrip;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code _embed}'s request and response survive the transport stream with random contents. */
public class EmbedWireTests extends OpenSearchTestCase {

    public void testRequestRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            List<String> texts = randomList(1, 6, () -> randomBoolean() ? randomUnicodeOfLengthBetween(0, 40) : "");
            EmbedRequest request = new EmbedRequest(
                randomAlphaOfLengthBetween(1, 20),
                texts,
                randomFrom(InputType.values()),
                randomBoolean() ? randomAlphaOfLengthBetween(1, 12) : null,
                randomBoolean() ? randomUnicodeOfLengthBetween(0, 60) : null
            );
            EmbedRequest copy = WireRoundTrip.copy(request, EmbedRequest::new);
            assertEquals(request.modelId(), copy.modelId());
            assertEquals(request.texts(), copy.texts());
            assertEquals(request.inputType(), copy.inputType());
            assertEquals(request.task(), copy.task());
            assertEquals(request.instruction(), copy.instruction());
        }
    }

    public void testResponseRoundTrip() throws IOException {
        for (int run = 0; run < 20; run++) {
            int dimensions = randomIntBetween(1, 16);
            List<Embedding> embeddings = new ArrayList<>();
            for (int i = randomIntBetween(0, 5); i > 0; i--) {
                float[] vector = new float[dimensions];
                for (int d = 0; d < dimensions; d++) {
                    vector[d] = randomFloat() * 2 - 1;
                }
                embeddings.add(new Embedding(vector, randomIntBetween(0, 512), randomBoolean()));
            }
            EmbedResponse response = new EmbedResponse(randomAlphaOfLengthBetween(1, 20), dimensions, embeddings, randomNonNegativeLong());
            EmbedResponse copy = WireRoundTrip.copy(response, EmbedResponse::new);
            assertEquals(embeddings.size(), copy.embeddings().size());
            for (int i = 0; i < embeddings.size(); i++) {
                assertArrayEquals(embeddings.get(i).vector(), copy.embeddings().get(i).vector(), 0f);
                assertEquals(embeddings.get(i).tokens(), copy.embeddings().get(i).tokens());
                assertEquals(embeddings.get(i).truncated(), copy.embeddings().get(i).truncated());
            }
            assertEquals(WireRoundTrip.json(response), WireRoundTrip.json(copy));
        }
    }
}
