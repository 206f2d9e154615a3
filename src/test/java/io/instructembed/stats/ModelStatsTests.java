package io.instructembed.stats;

import io.instructembed.model.IngestCounters;
import io.instructembed.model.LoadState;
import io.instructembed.model.ModelCounters;
import io.instructembed.model.ModelStatus;
import io.instructembed.model.QueryEmbeddingCache;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.xcontent.ToXContent;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.test.OpenSearchTestCase;

import java.util.Map;

/** A model's stats travel between nodes whole, and render the JSON documented in the user guide. */
public class ModelStatsTests extends OpenSearchTestCase {

    private static ModelStats sample() {
        ModelCounters counters = new ModelCounters();
        counters.requests.add(3);
        counters.texts.add(7);
        counters.tokens.add(70);
        counters.paddedTokens.add(100);
        counters.batches.add(2);
        counters.errors.add(1);
        counters.rejections.add(4);
        counters.queryCalls.add(2);
        counters.documentCalls.add(1);
        QueryEmbeddingCache cache = new QueryEmbeddingCache(0);
        cache.get("bge", "q", true);
        IngestCounters ingest = new IngestCounters();
        return ModelStats.of(new ModelStatus("bge", LoadState.DRAINING, "cpu", null, 12), counters, cache, 5, ChunkingStats.of(ingest),
            SkipExistingStats.of(ingest));
    }

    public void testRoundTripsOverTheWire() throws Exception {
        ModelStats stats = sample();
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            stats.writeTo(out);
            assertEquals(stats, ModelStats.readFrom(out.bytes().streamInput()));
        }
    }

    @SuppressWarnings("unchecked")
    public void testRendersTheDocumentedFields() throws Exception {
        XContentBuilder builder = JsonXContent.contentBuilder().startObject();
        sample().toXContent(builder, ToXContent.EMPTY_PARAMS);
        builder.endObject();
        Map<String, Object> json = (Map<String, Object>) XContentHelper.convertToMap(BytesReference.bytes(builder), false, builder.contentType()).v2().get("bge");
        assertEquals("draining", json.get("state"));
        assertEquals("cpu", json.get("device"));
        assertEquals(7, json.get("texts"));
        assertEquals(0.7, json.get("batch_fill"));
        assertEquals(1, json.get("errors"));
        assertEquals(4, json.get("rejections"));
        assertEquals(5, json.get("queued_texts"));
        assertEquals(Map.of("hits", 0, "misses", 1), json.get("query_cache"));
        assertEquals(Map.of("query", 2, "document", 1), json.get("calls"));
    }
}
