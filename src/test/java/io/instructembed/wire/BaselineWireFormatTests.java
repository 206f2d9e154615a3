package io.instructembed.wire;

import io.instructembed.model.Embedding;
import io.instructembed.model.LoadState;
import io.instructembed.model.ModelStatus;
import io.instructembed.pack.InputType;
import io.instructembed.query.InstructKnnQueryBuilder;
import io.instructembed.stats.ChunkingStats;
import io.instructembed.stats.ModelStats;
import io.instructembed.stats.SkipExistingStats;
import io.instructembed.transport.embed.EmbedRequest;
import io.instructembed.transport.embed.EmbedResponse;
import io.instructembed.transport.lifecycle.ModelLifecycleNodeRequest;
import io.instructembed.transport.lifecycle.ModelLifecycleRequest;
import io.instructembed.transport.models.GetModelsNodeRequest;
import io.instructembed.transport.models.GetModelsRequest;
import io.instructembed.transport.models.GetModelsResponse;
import io.instructembed.transport.stats.StatsNodeRequest;
import io.instructembed.transport.stats.StatsRequest;
import org.opensearch.Version;
import org.opensearch.cluster.ClusterName;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.test.VersionUtils;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline wire format, byte for byte: what instruct-embed 0.1.0 writes for a fixed sample of
 * each of the plugin's messages and of the values they carry (recorded once, from that code: main
 * at d41b189). Today's code must write exactly these bytes to a peer of the baseline, and read
 * them back whole. A change that fails here would break a rolling restart: a node of 0.1.0 could
 * no longer read what this one sends, or the other way round. Add a field behind
 * {@link WireVersions} instead; then these bytes stay as they are.
 *
 * <p>The node responses carry OpenSearch's own {@code DiscoveryNode} around lists of the values
 * recorded here ({@link ModelStatus}, {@link ModelStats}); their round trips are in the
 * {@code *WireTests} of each action, and the chunk query's, whose body is k-NN's, in
 * {@code InstructKnnQueryBuilderTests}.
 */
public class BaselineWireFormatTests extends OpenSearchTestCase {

    private record Sample<T extends Writeable>(String name, T value, Writeable.Reader<T> reader, String base64) {}

    private static List<Sample<?>> samples() {
        List<Sample<?>> samples = new ArrayList<>();
        samples.add(new Sample<>(
            "embed request, task",
            new EmbedRequest("bge-small-en-v1.5", List.of("rivers of europe", ""), InputType.QUERY, "retrieval", null),
            EmbedRequest::new,
            "ABFiZ2Utc21hbGwtZW4tdjEuNQIQcml2ZXJzIG9mIGV1cm9wZQAAAQlyZXRyaWV2YWwA"
        ));
        samples.add(new Sample<>(
            "embed request, instruction",
            new EmbedRequest("e5-small-v2", List.of("Ünïcödé ✓"), InputType.DOCUMENT, null, "Given a question, find its answer"),
            EmbedRequest::new,
            "AAtlNS1zbWFsbC12MgEJw5xuw69jw7Zkw6kg4pyTAQABIUdpdmVuIGEgcXVlc3Rpb24sIGZpbmQgaXRzIGFuc3dlcg=="
        ));
        samples.add(new Sample<>(
            "embed response",
            new EmbedResponse(
                "bge-small-en-v1.5",
                3,
                List.of(new Embedding(new float[] { 0.5f, -0.25f, 1f }, 5, false), new Embedding(new float[] { 0f, 1f, -1f }, 512, true)),
                42
            ),
            EmbedResponse::new,
            "EWJnZS1zbWFsbC1lbi12MS41AwIDPwAAAL6AAAA/gAAABQADAAAAAD+AAAC/gAAAgAQBKg=="
        ));
        ModelLifecycleRequest unload = new ModelLifecycleRequest("bge-small-en-v1.5", ModelLifecycleRequest.Operation.UNLOAD, "node-a", "node-b");
        unload.timeout(TimeValue.timeValueSeconds(30));
        samples.add(new Sample<>("lifecycle request", unload, ModelLifecycleRequest::new, "AAIGbm9kZS1hBm5vZGUtYgABPAMRYmdlLXNtYWxsLWVuLXYxLjUB"));
        samples.add(new Sample<>(
            "lifecycle node request",
            new ModelLifecycleNodeRequest("bge-small-en-v1.5", ModelLifecycleRequest.Operation.LOAD),
            ModelLifecycleNodeRequest::new,
            "ABFiZ2Utc21hbGwtZW4tdjEuNQA="
        ));
        samples.add(new Sample<>("models request, all", new GetModelsRequest((String) null), GetModelsRequest::new, "AAAAAAA="));
        samples.add(new Sample<>(
            "models request, one",
            new GetModelsRequest("bge-small-en-v1.5", "node-a"),
            GetModelsRequest::new,
            "AAEGbm9kZS1hAAABEWJnZS1zbWFsbC1lbi12MS41"
        ));
        samples.add(new Sample<>(
            "models node request",
            new GetModelsNodeRequest("bge-small-en-v1.5"),
            GetModelsNodeRequest::new,
            "AAERYmdlLXNtYWxsLWVuLXYxLjU="
        ));
        Map<String, Object> pack = new LinkedHashMap<>();
        pack.put("model_id", "bge-small-en-v1.5");
        pack.put("dimensions", 384);
        pack.put("tasks", List.of("retrieval", "sts"));
        pack.put("normalize", true);
        samples.add(new Sample<>(
            "models response",
            new GetModelsResponse(new ClusterName("wire"), List.of(), List.of(), List.of(pack), true),
            GetModelsResponse::new,
            "BHdpcmUAAAEJBAhtb2RlbF9pZAARYmdlLXNtYWxsLWVuLXYxLjUKZGltZW5zaW9ucwEAAAGABXRhc2tzBwIACXJldHJpZXZhbAADc3RzCW5vcm1hbGl6ZQUBAQ=="
        ));
        samples.add(new Sample<>("stats request", new StatsRequest("node-a"), StatsRequest::new, "AAEGbm9kZS1hAAA="));
        samples.add(new Sample<>("stats node request", new StatsNodeRequest(), StatsNodeRequest::new, "AA=="));
        samples.add(new Sample<>(
            "model status",
            new ModelStatus("bge-small-en-v1.5", LoadState.FAILED, "cpu", "model.onnx is missing", 1234),
            ModelStatus::readFrom,
            "EWJnZS1zbWFsbC1lbi12MS41BmZhaWxlZAEDY3B1ARVtb2RlbC5vbm54IGlzIG1pc3NpbmfSCQ=="
        ));
        samples.add(new Sample<>(
            "model status, not loaded",
            new ModelStatus("sfr-embedding-2-r", LoadState.NOT_LOADED, null, null, 0),
            ModelStatus::readFrom,
            "EXNmci1lbWJlZGRpbmctMi1yCm5vdF9sb2FkZWQAAAA="
        ));
        samples.add(new Sample<>(
            "model stats",
            new ModelStats(
                "bge-small-en-v1.5",
                LoadState.LOADED.jsonName(),
                "cpu",
                new ModelStats.Work(1, 2, 3, 4, 5, 6, 7, 8, 9),
                new ModelStats.Health(10, 11, 12),
                new ModelStats.Latency(1.5, 2.5, 3.5, 4.5),
                new ModelStats.Cache(13, 14),
                new ChunkingStats(15, 16, 2.5, 17, 18),
                new SkipExistingStats(19, 20)
            ),
            ModelStats::readFrom,
            "EWJnZS1zbWFsbC1lbi12MS41BmxvYWRlZAEDY3B1AQIDBAUGBwgJCgsMP/gAAAAAAABABAAAAAAAAEAMAAAAAAAAQBIAAAAAAAANDg8QQAQAAAAAAAAREhMU"
        ));
        Map<String, Object> knnOptions = new LinkedHashMap<>();
        knnOptions.put("k", 10);
        knnOptions.put("filter", Map.of("term", Map.of("lang", "en")));
        InstructKnnQueryBuilder query = new InstructKnnQueryBuilder(
            "body_vector",
            "rivers of europe",
            "retrieval",
            null,
            "bge-small-en-v1.5",
            knnOptions,
            Map.of("size", 2)
        );
        query.boost(2f);
        query.queryName("by_meaning");
        samples.add(new Sample<>(
            "instruct_knn",
            query,
            InstructKnnQueryBuilder::new,
            "QAAAAAEKYnlfbWVhbmluZwtib2R5X3ZlY3RvchByaXZlcnMgb2YgZXVyb3BlAQlyZXRyaWV2YWwAARFiZ2Utc21hbGwtZW4tdjEuNQkCAWsBAAAACgZmaWx0ZXIKAQR0ZXJtCgEEbGFuZwACZW4BCQEEc2l6ZQEAAAAC"
        ));
        samples.add(new Sample<>(
            "instruct_knn, defaults",
            new InstructKnnQueryBuilder("chunks", "lakes", null, "Find lakes", null, Map.of(), null),
            InstructKnnQueryBuilder::new,
            "P4AAAAAGY2h1bmtzBWxha2VzAAEKRmluZCBsYWtlcwAJAAA="
        ));
        return samples;
    }

    /** A peer that speaks the baseline only: any OpenSearch version with a released build (until a field is added, every one this builds for). */
    private static Version baselinePeer() {
        return VersionUtils.randomVersionBetween(random(), WireVersions.BASELINE, Version.CURRENT);
    }

    private static byte[] write(Writeable value, Version version) throws IOException {
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            out.setVersion(version);
            value.writeTo(out);
            return BytesReference.toBytes(out.bytes());
        }
    }

    public void testWritesTheBaselineBytesToABaselinePeer() throws IOException {
        Version version = baselinePeer();
        List<String> differ = new ArrayList<>();
        for (Sample<?> sample : samples()) {
            String written = Base64.getEncoder().encodeToString(write(sample.value(), version));
            if (written.equals(sample.base64()) == false) {
                differ.add("[" + sample.name() + "] writes " + written);
            }
        }
        assertTrue("to a peer of " + version + " the baseline formats changed:\n" + String.join("\n", differ), differ.isEmpty());
    }

    /** The baseline bytes read whole, back to the sample (compared with equals where the class has it, else by writing it again). */
    public void testReadsTheBaselineBytesOfABaselinePeer() throws IOException {
        Version version = baselinePeer();
        for (Sample<?> sample : samples()) {
            byte[] baseline = Base64.getDecoder().decode(sample.base64());
            Object read;
            try (StreamInput in = new BytesArray(baseline).streamInput()) {
                in.setVersion(version);
                read = sample.reader().read(in);
                assertEquals("[" + sample.name() + "] from a peer of " + version + ": bytes left unread", 0, in.available());
            }
            if (hasEquals(sample.value())) {
                assertEquals("[" + sample.name() + "]", sample.value(), read);
            }
            assertArrayEquals("[" + sample.name() + "] read and written again", baseline, write((Writeable) read, version));
        }
    }

    private static boolean hasEquals(Object value) {
        try {
            return value.getClass().getMethod("equals", Object.class).getDeclaringClass() != Object.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }
}
