package io.instructembed.query;

import io.instructembed.InstructEmbedPlugin;
import io.instructembed.model.Embedding;
import io.instructembed.model.ModelService;
import io.instructembed.pack.InputType;
import io.instructembed.support.GoldenVectors;
import io.instructembed.support.KnnNodeComponents;
import io.instructembed.support.NodeCalls;
import io.instructembed.support.TestModelServices;
import org.apache.lucene.search.Query;
import org.opensearch.Version;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.common.compress.CompressedXContent;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.ThreadContext;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.query.BoolQueryBuilder;
import org.opensearch.index.query.InnerHitContextBuilder;
import org.opensearch.index.query.NestedQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.apache.lucene.search.join.ScoreMode;
import org.opensearch.index.query.QueryCoordinatorContext;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.action.search.SearchRequest;
import org.opensearch.ingest.IngestMetadata;
import org.opensearch.ingest.PipelineConfiguration;
import org.opensearch.plugins.Plugin;
import org.opensearch.test.AbstractQueryTestCase;
import org.opensearch.test.ClusterServiceUtils;
import org.opensearch.test.TestGeoShapeFieldMapperPlugin;
import org.opensearch.test.VersionUtils;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code instruct_knn} through OpenSearch's own query-builder checks: random builders parsed back
 * from every XContent type, sent over the wire, compared with equals/hashCode, and rewritten into
 * k-NN's {@code knn} query. Nothing is faked: the k-NN plugin supplies the field types and the
 * {@code knn} parser, and the rewrite embeds with the real bge packs on ONNX Runtime, so the Lucene
 * query of each builder is compared with the one k-NN builds from the vector the model gives for
 * the same text, task and model.
 */
public class InstructKnnQueryBuilderTests extends AbstractQueryTestCase<InstructKnnQueryBuilder> {
    private static final String VECTOR = "vec";
    private static final String CHUNKS = "chunks";
    private static final String FP32 = "bge-small-en-v1.5";
    private static final String INT8 = "bge-small-en-v1.5-int8";
    /** The model that the index's default pipeline writes both vector fields with. */
    private static final String PIPELINE_MODEL = INT8;
    private static final String KNN_METHOD = "{\"name\":\"hnsw\",\"engine\":\"lucene\",\"space_type\":\"cosinesimil\"}";
    private static final String KNN_VECTOR = "{\"type\":\"knn_vector\",\"dimension\":384,\"method\":" + KNN_METHOD + "}";
    /** The test index's mapping: in its shards' mapper service and in the cluster state the coordinating rewrite reads. */
    private static final String MAPPING = "{\"properties\":{\"" + VECTOR + "\":" + KNN_VECTOR + ",\"" + CHUNKS
        + "\":{\"type\":\"nested\",\"properties\":{\"text\":{\"type\":\"text\"},\"vector\":" + KNN_VECTOR + "}}}}";

    private static TestModelServices models;
    private static KnnNodeComponents knn;

    @BeforeClass
    public static void startModelsAndKnn() throws Exception {
        models = TestModelServices.bundled();
        knn = KnnNodeComponents.start(createTempDir());
        ClusterServiceUtils.setState(knn.clusterService, withEmbeddingPipeline(knn.clusterService.state()));
        InstructKnnQueryBuilder.initialize(
            models.service,
            new QueryModelResolver(knn.clusterService, new IndexNameExpressionResolver(new ThreadContext(Settings.EMPTY)))
        );
    }

    @AfterClass
    public static void stopModelsAndKnn() {
        InstructKnnQueryBuilder.initialize(null, null);
        knn.close();
        models.close();
    }

    /** The test index, as the cluster sees it: its default pipeline embeds both fields with {@link #PIPELINE_MODEL}. */
    private static ClusterState withEmbeddingPipeline(ClusterState state) throws IOException {
        String pipeline = "{\"processors\":[{\"instruct_embedding\":{\"model_id\":\"" + PIPELINE_MODEL + "\",\"field_map\":{\"title\":\""
            + VECTOR + "\",\"body\":\"" + CHUNKS + "\"}}}]}";
        IndexMetadata index = IndexMetadata.builder(getIndex().getName())
            .putMapping(MAPPING)
            .settings(
                Settings.builder()
                    .put(IndexMetadata.SETTING_VERSION_CREATED, Version.CURRENT)
                    .put(IndexMetadata.SETTING_INDEX_UUID, getIndex().getUUID())
                    .put(IndexMetadata.SETTING_NUMBER_OF_SHARDS, 1)
                    .put(IndexMetadata.SETTING_NUMBER_OF_REPLICAS, 0)
                    .put("index.default_pipeline", "embed")
            )
            .build();
        IngestMetadata ingest = new IngestMetadata(
            Map.of("embed", new PipelineConfiguration("embed", new BytesArray(pipeline), MediaTypeRegistry.JSON))
        );
        return ClusterState.builder(state).metadata(Metadata.builder(state.metadata()).put(index, false).putCustom(IngestMetadata.TYPE, ingest)).build();
    }

    @Override
    @SuppressWarnings("deprecation")  // the framework's geo_shape stand-in, for its own mapped_geo_shape field
    protected java.util.Collection<Class<? extends Plugin>> getPlugins() {
        return List.of(InstructEmbedPlugin.class, KnnNodeComponents.pluginClass(), TestGeoShapeFieldMapperPlugin.class);
    }

    @Override
    protected Settings createTestIndexSettings() {
        return Settings.builder().put(IndexMetadata.SETTING_VERSION_CREATED, Version.CURRENT).put("index.knn", true).build();
    }

    @Override
    protected void initializeAdditionalMappings(MapperService mapperService) throws IOException {
        mapperService.merge("_doc", new CompressedXContent(MAPPING), MapperService.MergeReason.MAPPING_UPDATE);
    }

    /**
     * Rewrites as a search's coordinating node does, with the search's indices: the only place
     * where {@code instruct_knn} embeds (elsewhere, as in an alias filter, it is refused).
     */
    @Override
    protected QueryBuilder rewriteQuery(InstructKnnQueryBuilder queryBuilder, QueryRewriteContext rewriteContext) throws IOException {
        return super.rewriteQuery(queryBuilder, coordinating(rewriteContext));
    }

    private static QueryCoordinatorContext coordinating(QueryRewriteContext context) {
        return new QueryCoordinatorContext(context, new SearchRequest(getIndex().getName()));
    }

    @Override
    protected InstructKnnQueryBuilder doCreateTestQueryBuilder() {
        boolean nested = randomBoolean();
        String task = null;
        String instruction = null;
        switch (randomIntBetween(0, 2)) {
            case 0 -> task = randomFrom("retrieval", "similarity", "clustering", "classification");
            case 1 -> instruction = randomAlphaOfLengthBetween(3, 20) + ": ";
            default -> {}
        }
        Map<String, Object> options = new LinkedHashMap<>();
        if (nested || randomBoolean()) {
            options.put("k", randomIntBetween(1, 50));
            if (randomBoolean()) {
                options.put("method_parameters", Map.of("ef_search", randomIntBetween(10, 200)));
            }
        } else if (randomBoolean()) {
            options.put("max_distance", randomDoubleBetween(0.1, 2.0, true));
        } else {
            options.put("min_score", randomDoubleBetween(0.1, 1.0, true));
        }
        if (randomBoolean()) {
            options.put("filter", Map.of("term", Map.of(KEYWORD_FIELD_NAME, randomAlphaOfLengthBetween(1, 8))));
        }
        Map<String, Object> innerHits = nested && randomBoolean() ? Map.of("size", randomIntBetween(1, 3)) : null;
        return new InstructKnnQueryBuilder(
            nested ? CHUNKS : VECTOR,
            randomQueryText(),
            task,
            instruction,
            randomFrom(FP32, INT8, null),
            options,
            innerHits
        );
    }

    private static String randomQueryText() {
        return rarely() ? randomRealisticUnicodeOfCodepointLengthBetween(1, 30) + "x" : randomAlphaOfLengthBetween(1, 12) + " " + randomAlphaOfLengthBetween(1, 12);
    }

    /**
     * The rewritten query must be exactly the one k-NN builds from the vector of the builder's text,
     * embedded by its model (given, or resolved from the index's pipeline) with its task or
     * instruction: k-NN's {@code knn} on the field, or {@code nested} around {@code knn} on the
     * chunks' {@code vector}, scoring each document by its best chunk.
     */
    @Override
    protected void doAssertLuceneQuery(InstructKnnQueryBuilder builder, Query query, QueryShardContext context) throws IOException {
        Map<String, Object> spec = new LinkedHashMap<>(specOf(builder));
        String model = (String) spec.remove("model_id");
        float[] vector = embed(
            model == null ? PIPELINE_MODEL : model,
            (String) spec.remove("query_text"),
            (String) spec.remove("task"),
            (String) spec.remove("instruction")
        );
        spec.remove("inner_hits");  // fetch options: no part of the Lucene query
        spec.remove("boost");  // the base class has taken the boost off already
        spec.remove("_name");
        spec.put("vector", vector);
        String knnField = builder.fieldName().equals(CHUNKS) ? CHUNKS + ".vector" : builder.fieldName();
        Map<String, Object> expected = Map.of("knn", Map.of(knnField, spec));
        if (builder.fieldName().equals(CHUNKS)) {
            expected = Map.of("nested", Map.of("path", CHUNKS, "score_mode", "max", "query", expected));
        }
        QueryBuilder expectedBuilder = parseQuery(JsonXContent.contentBuilder().map(expected).toString());
        Query expectedQuery = rewriteAndFetch(expectedBuilder, new QueryShardContext(context)).toQuery(context);
        assertEquals(expectedQuery, query);
    }

    /** The options under the field, as the builder writes them. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> specOf(InstructKnnQueryBuilder builder) {
        Map<String, Object> json = XContentHelper.convertToMap(JsonXContent.jsonXContent, builder.toString(), true);
        return (Map<String, Object>) ((Map<String, Object>) json.get(InstructKnnQueryBuilder.NAME)).get(builder.fieldName());
    }

    private static float[] embed(String model, String text, String task, String instruction) {
        PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
        models.service.embed(new ModelService.EmbedCall(model, List.of(text), InputType.QUERY, task, instruction), future);
        return future.actionGet(60, TimeUnit.SECONDS).get(0).vector();
    }

    /** Changes one part of the query, any part, so that equals/hashCode must tell them apart. */
    @Override
    public InstructKnnQueryBuilder mutateInstance(InstructKnnQueryBuilder instance) throws IOException {
        Map<String, Object> spec = new LinkedHashMap<>(specOf(instance));
        String field = instance.fieldName();
        switch (randomIntBetween(0, 5)) {
            case 0 -> spec.put("query_text", spec.get("query_text") + "x");
            case 1 -> {
                spec.remove("instruction");
                spec.put("task", "retrieval".equals(spec.get("task")) ? "similarity" : "retrieval");
            }
            case 2 -> spec.put("model_id", FP32.equals(spec.get("model_id")) ? INT8 : FP32);
            case 3 -> spec.put("filter", Map.of("term", Map.of(KEYWORD_FIELD_NAME, "not-random-" + randomIntBetween(0, 9))));
            case 4 -> {
                field = field.equals(VECTOR) ? CHUNKS : VECTOR;
                spec.remove("inner_hits");
            }
            default -> {
                return changeNameOrBoost(instance);
            }
        }
        return (InstructKnnQueryBuilder) parseQuery(
            JsonXContent.contentBuilder().map(Map.of(InstructKnnQueryBuilder.NAME, Map.of(field, spec))).toString()
        );
    }

    /** Between nodes of different wire-compatible versions too (the base class checks the current version only). */
    public void testSerializationAcrossWireCompatibleVersions() throws IOException {
        for (int run = 0; run < 20; run++) {
            assertSerialization(createTestQueryBuilder(), VersionUtils.randomCompatibleVersion(random(), Version.CURRENT));
        }
    }

    /**
     * What instruct_knn on chunks rewrites into travels from the coordinating node to the shards,
     * whatever their wire-compatible version: k-NN's knn inside, the inner hits as asked for or
     * the default best chunk, ignore_unmapped, boost and name.
     */
    public void testChunkQuerySerializationAcrossWireCompatibleVersions() throws IOException {
        for (int run = 0; run < 20; run++) {
            float[] vector = new float[384];
            for (int d = 0; d < vector.length; d++) {
                vector[d] = randomFloat();
            }
            QueryBuilder knn = parseQuery(
                JsonXContent.contentBuilder()
                    .map(Map.of("knn", Map.of(CHUNKS + ".vector", Map.of("vector", vector, "k", randomIntBetween(1, 20)))))
                    .toString()
            );
            Map<String, Object> innerHits = randomBoolean() ? null : Map.of("size", randomIntBetween(1, 3), "name", randomAlphaOfLength(5));
            InstructKnnNestedQueryBuilder chunkQuery = new InstructKnnNestedQueryBuilder(
                CHUNKS,
                knn,
                InstructKnnQueryBuilder.innerHitBuilder(CHUNKS, innerHits, xContentRegistry()),
                randomBoolean()
            );
            if (randomBoolean()) {
                chunkQuery.boost(randomFloat() * 4);
            }
            if (randomBoolean()) {
                chunkQuery.queryName(randomAlphaOfLength(6));
            }
            Version version = randomBoolean() ? Version.CURRENT : VersionUtils.randomCompatibleVersion(random(), Version.CURRENT);
            assertSerialization(chunkQuery, version);
        }
    }

    /** The builder cannot become a Lucene query by itself: it must be rewritten (and embedded) first. */
    @Override
    public void testMustRewrite() throws IOException {
        QueryShardContext context = createShardContext();
        context.setAllowUnmappedFields(true);
        InstructKnnQueryBuilder builder = createTestQueryBuilder();
        IllegalStateException e = expectThrows(IllegalStateException.class, () -> builder.toQuery(context));
        assertEquals("[instruct_knn] must be rewritten into a [knn] query before it is run", e.getMessage());
    }

    /**
     * The first rewrite only registers the embedding as an asynchronous action (no search thread
     * waits on inference) and returns a pending builder that refuses to travel; once the action has
     * run, the next rewrite is k-NN's {@code knn} with the model's vector of the reference query.
     */
    @SuppressWarnings("unchecked")
    public void testRewriteEmbedsAsynchronouslyThenBecomesKnn() throws IOException {
        GoldenVectors.Golden golden = GoldenVectors.queries().get(0);
        assertEquals("the reference queries carry the retrieval instruction", "Represent this sentence for searching relevant passages: ", golden.prefix());
        InstructKnnQueryBuilder builder = new InstructKnnQueryBuilder(VECTOR, golden.text(), "retrieval", null, FP32, Map.of("k", 7), null);
        QueryShardContext shard = createShardContext();
        QueryCoordinatorContext context = coordinating(shard);

        QueryBuilder pending = builder.rewrite(context);
        assertNotSame(builder, pending);
        assertTrue("the embedding must be registered as an async action", context.hasAsyncActions());
        assertEquals(InstructKnnQueryBuilder.NAME, pending.getWriteableName());
        IllegalStateException e = expectThrows(IllegalStateException.class, () -> new BytesStreamOutput().writeNamedWriteable(pending));
        assertTrue(e.getMessage(), e.getMessage().contains("cannot be sent while its embedding is pending"));
        assertSame("nothing to do until the embedding is back", pending, pending.rewrite(context));

        PlainActionFuture<Void> embedded = new PlainActionFuture<>();
        context.executeAsyncActions(embedded);
        embedded.actionGet(60, TimeUnit.SECONDS);
        QueryBuilder knn = pending.rewrite(context);
        assertEquals("knn", knn.getWriteableName());
        Map<String, Object> field = (Map<String, Object>) ((Map<String, Object>) XContentHelper.convertToMap(
            JsonXContent.jsonXContent,
            knn.toString(),
            false
        ).get("knn")).get(VECTOR);
        assertEquals(7, field.get("k"));
        assertArrayEquals(golden.vector(), NodeCalls.floats(field.get("vector")), 1e-4f);
        assertNotNull(knn.toQuery(shard));
    }

    /** Without {@code model_id}, the model comes from the instruct_embedding processor of the index's default pipeline. */
    public void testModelComesFromTheIndexPipelineWhenNotGiven() throws IOException {
        InstructKnnQueryBuilder builder = new InstructKnnQueryBuilder(VECTOR, "rivers of europe", null, null, null, Map.of("k", 3), null);
        QueryBuilder knn = rewriteAndFetch(builder, coordinating(createShardContext()));
        float[] vector = NodeCalls.floats(
            ((Map<?, ?>) ((Map<?, ?>) XContentHelper.convertToMap(JsonXContent.jsonXContent, knn.toString(), false).get("knn")).get(VECTOR)).get(
                "vector"
            )
        );
        assertArrayEquals(embed(PIPELINE_MODEL, "rivers of europe", null, null), vector, 0f);
        // and not the other bge pack's vector, which differs in the third decimal
        assertFalse(java.util.Arrays.equals(embed(FP32, "rivers of europe", null, null), vector));
    }

    /** Outside a search request (an alias filter is validated and run on shards) instruct_knn cannot embed: a 400 saying where it runs. */
    public void testRewriteOutsideASearchRequestIsRefused() throws IOException {
        InstructKnnQueryBuilder builder = new InstructKnnQueryBuilder(VECTOR, "rivers of europe", null, null, FP32, Map.of("k", 3), null);
        QueryShardContext shard = createShardContext();
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> builder.rewrite(shard));
        assertTrue(e.getMessage(), e.getMessage().contains("[instruct_knn] runs only in a search request"));
        assertTrue(e.getMessage(), e.getMessage().contains("alias filter"));
    }

    /**
     * Inside the user's own {@code nested} query on the chunk path, the chunk query is the knn
     * alone (one join, as if the user had written knn on the chunks' vector); on its own it is the
     * join with max score mode.
     */
    public void testChunkQueryInsideNestedOnItsOwnPathJoinsOnce() throws IOException {
        QueryShardContext context = createShardContext();
        InstructKnnQueryBuilder builder = new InstructKnnQueryBuilder(CHUNKS, "rivers of europe", null, null, FP32, Map.of("k", 3), null);
        QueryBuilder chunkQuery = rewriteAndFetch(builder, coordinating(context));
        assertEquals(InstructKnnNestedQueryBuilder.NAME, chunkQuery.getWriteableName());
        float[] vector = embed(FP32, "rivers of europe", null, null);
        QueryBuilder knnOnChunks = parseQuery(
            JsonXContent.contentBuilder().map(Map.of("knn", Map.of(CHUNKS + ".vector", Map.of("vector", vector, "k", 3)))).toString()
        );
        assertEquals(new NestedQueryBuilder(CHUNKS, knnOnChunks, ScoreMode.Max).toQuery(context), chunkQuery.toQuery(context));
        assertEquals(
            new NestedQueryBuilder(CHUNKS, knnOnChunks, ScoreMode.Avg).toQuery(context),
            new NestedQueryBuilder(CHUNKS, chunkQuery, ScoreMode.Avg).toQuery(context)
        );
    }

    /** Several clauses on one chunk field: their inner hits are named after the path, then numbered; a name given twice is a 400 naming it. */
    public void testInnerHitsOfSeveralClausesOnOneFieldTakeNamesOfTheirOwn() throws IOException {
        QueryShardContext context = createShardContext();
        QueryBuilder first = rewriteAndFetch(
            new InstructKnnQueryBuilder(CHUNKS, "rivers", null, null, FP32, Map.of("k", 3), null),
            coordinating(context)
        );
        QueryBuilder second = rewriteAndFetch(
            new InstructKnnQueryBuilder(CHUNKS, "lakes", null, null, FP32, Map.of("k", 3), null),
            coordinating(context)
        );
        Map<String, InnerHitContextBuilder> innerHits = new java.util.HashMap<>();
        InnerHitContextBuilder.extractInnerHits(new BoolQueryBuilder().should(first).should(second), innerHits);
        InnerHitContextBuilder.extractInnerHits(first, innerHits);  // e.g. the same again in post_filter
        assertEquals(java.util.Set.of(CHUNKS, CHUNKS + "#2", CHUNKS + "#3"), innerHits.keySet());

        QueryBuilder named = rewriteAndFetch(
            new InstructKnnQueryBuilder(CHUNKS, "rivers", null, null, FP32, Map.of("k", 3), Map.of("name", "best")),
            coordinating(context)
        );
        Map<String, InnerHitContextBuilder> taken = new java.util.HashMap<>();
        InnerHitContextBuilder.extractInnerHits(named, taken);
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> InnerHitContextBuilder.extractInnerHits(named, taken));
        assertTrue(e.getMessage(), e.getMessage().contains("[inner_hits] name [best] is taken by another clause"));
    }
}
