package io.instructembed.query;

import org.opensearch.Version;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.ingest.IngestMetadata;
import org.opensearch.ingest.PipelineConfiguration;
import org.opensearch.test.OpenSearchTestCase;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

public class QueryModelResolverTests extends OpenSearchTestCase {

    private static Map<String, Object> processor(String model, Map<String, Object> fieldMap) {
        return Map.of("instruct_embedding", Map.of("model_id", model, "field_map", fieldMap));
    }

    public void testFindsTheProcessorThatWritesTheField() {
        Map<String, Object> pipeline = Map.of(
            "processors",
            List.of(
                Map.of("set", Map.of("field", "x", "value", 1)),
                processor("bge-small-en-v1.5", Map.of("title", "title_vector", "paragraphs", "paragraph_vectors")),
                processor("sfr-embedding-mistral", Map.of("body", "body_vector"))
            )
        );
        assertEquals(new TreeSet<>(List.of("bge-small-en-v1.5")), QueryModelResolver.modelsWriting(pipeline, "title_vector"));
        // arrays of texts are written as nested objects whose vector sits under ".vector"
        assertEquals(new TreeSet<>(List.of("bge-small-en-v1.5")), QueryModelResolver.modelsWriting(pipeline, "paragraph_vectors.vector"));
        assertEquals(new TreeSet<>(List.of("sfr-embedding-mistral")), QueryModelResolver.modelsWriting(pipeline, "body_vector"));
        assertTrue(QueryModelResolver.modelsWriting(pipeline, "title").isEmpty());
        assertTrue(QueryModelResolver.modelsWriting(Map.of(), "title_vector").isEmpty());
    }

    public void testSeveralProcessorsForOneFieldAreAllReported() {
        Map<String, Object> pipeline = Map.of(
            "processors",
            List.of(processor("a", Map.of("t", "v")), processor("b", Map.of("u", "v")))
        );
        assertEquals(new TreeSet<>(List.of("a", "b")), QueryModelResolver.modelsWriting(pipeline, "v"));
    }

    private static final String VECTOR_MAPPING = "{\"properties\":{\"vec\":{\"type\":\"knn_vector\",\"dimension\":384}}}";

    /** Indices as {name, pipeline or null, mapping or null}, and pipelines {id -> model writing "vec"}. */
    private static ClusterState state(String[][] indices, Map<String, String> pipelines) throws Exception {
        Metadata.Builder metadata = Metadata.builder();
        for (String[] index : indices) {
            Settings.Builder settings = Settings.builder().put(IndexMetadata.SETTING_VERSION_CREATED, Version.CURRENT);
            if (index[1] != null) {
                settings.put("index.default_pipeline", index[1]);
            }
            IndexMetadata.Builder builder = IndexMetadata.builder(index[0]).settings(settings).numberOfShards(1).numberOfReplicas(0);
            if (index[2] != null) {
                builder.putMapping(index[2]);
            }
            metadata.put(builder);
        }
        Map<String, PipelineConfiguration> configs = new java.util.HashMap<>();
        for (Map.Entry<String, String> pipeline : pipelines.entrySet()) {
            String json = "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + pipeline.getValue() + "\",\"field_map\":{\"text\":\"vec\"}}}]}";
            configs.put(pipeline.getKey(), new PipelineConfiguration(pipeline.getKey(), new BytesArray(json), MediaTypeRegistry.JSON));
        }
        metadata.putCustom(IngestMetadata.TYPE, new IngestMetadata(configs));
        return ClusterState.builder(ClusterName.DEFAULT).metadata(metadata).build();
    }

    public void testNoIndexMeansNoModelAndNoError() throws Exception {
        ClusterState state = state(new String[0][], Map.of());
        assertNull(new QueryModelResolver(null, null).resolve(state, new String[0], "vec", false));
        assertNull(new QueryModelResolver(null, null).resolve(state, new String[0], "vec", true));
    }

    public void testIgnoreUnmappedSkipsIndicesThatDoNotMapTheField() throws Exception {
        ClusterState state = state(new String[][] { { "plain", null, "{\"properties\":{\"title\":{\"type\":\"text\"}}}" }, { "empty", null, null } }, Map.of());
        assertNull(new QueryModelResolver(null, null).resolve(state, new String[] { "plain", "empty" }, "vec", true));
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> new QueryModelResolver(null, null).resolve(state, new String[] { "plain" }, "vec", false)
        );
        assertTrue(e.getMessage(), e.getMessage().contains("[plain] writes field [vec]: give [model_id]"));
    }

    public void testIgnoreUnmappedWithAnEmbeddedIndexUsesItsModel() throws Exception {
        ClusterState state = state(new String[][] { { "embedded", "p", VECTOR_MAPPING }, { "plain", null, null } }, Map.of("p", "bge-small-en-v1.5"));
        assertEquals("bge-small-en-v1.5", new QueryModelResolver(null, null).resolve(state, new String[] { "embedded", "plain" }, "vec", true));
    }

    public void testAnIndexWithoutAPipelineNextToOneWithIsRefusedNamingIt() throws Exception {
        ClusterState state = state(
            new String[][] { { "embedded", "p", VECTOR_MAPPING }, { "raw-vectors", null, VECTOR_MAPPING } },
            Map.of("p", "bge-small-en-v1.5")
        );
        for (boolean ignoreUnmapped : new boolean[] { false, true }) {  // it maps the field: ignore_unmapped does not apply
            IllegalArgumentException e = expectThrows(
                IllegalArgumentException.class,
                () -> new QueryModelResolver(null, null).resolve(state, new String[] { "embedded", "raw-vectors" }, "vec", ignoreUnmapped)
            );
            assertTrue(e.getMessage(), e.getMessage().contains("the pipelines of [embedded] embed field [vec] with model [bge-small-en-v1.5]"));
            assertTrue(e.getMessage(), e.getMessage().contains("no instruct_embedding processor of [raw-vectors] writes it"));
        }
    }

    public void testDifferentModelsAreRefusedNamingTheIndices() throws Exception {
        ClusterState state = state(
            new String[][] { { "a", "p", VECTOR_MAPPING }, { "b", "q", VECTOR_MAPPING } },
            Map.of("p", "bge-small-en-v1.5", "q", "bge-small-en-v1.5-int8")
        );
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> new QueryModelResolver(null, null).resolve(state, new String[] { "a", "b" }, "vec", false)
        );
        assertTrue(e.getMessage(), e.getMessage().contains("{bge-small-en-v1.5=[a], bge-small-en-v1.5-int8=[b]}"));
    }
}
