package io.instructembed;

import io.instructembed.field.InstructTextSpec;
import io.instructembed.field.InstructTextFieldMapper;
import io.instructembed.field.InstructTextMappingFilter;
import io.instructembed.field.InstructTextMappingTransformer;
import io.instructembed.field.InstructTextMappings;
import io.instructembed.field.InstructTextSourceFilter;
import io.instructembed.field.InstructVectorTypeParser;
import io.instructembed.ingest.InstructEmbeddingProcessor;
import io.instructembed.ingest.InstructEmbeddingProcessorFactory;
import io.instructembed.ingest.InstructTextProcessor;
import io.instructembed.ingest.BulkUpdateEmbeddingFilter;
import io.instructembed.writerule.WriteRuleFieldMapper;
import io.instructembed.writerule.CheckedField;
import io.instructembed.field.InstructTextWriteRule;
import io.instructembed.ingest.PipelineWriteRule;
import io.instructembed.ingest.PipelineTargetRecorder;
import io.instructembed.mapping.IndexMappings;
import io.instructembed.model.EmbeddableCheck;
import org.opensearch.index.mapper.MetadataFieldMapper;
import org.opensearch.ingest.IngestService;
import io.instructembed.ingest.InstructTextProcessorFactory;
import io.instructembed.mapping.KnnNativeLibraries;
import io.instructembed.model.CudaSupport;
import io.instructembed.model.DevicePlan;
import io.instructembed.model.InferenceConfig;
import io.instructembed.model.OnnxRuntimeCuda;
import io.instructembed.model.SessionOpener;
import io.instructembed.model.EmbeddingService;
import io.instructembed.model.ModelLifecycleService;
import io.instructembed.model.ModelService;
import io.instructembed.model.NativeLibraries;
import io.instructembed.model.ModelMemory;
import io.instructembed.model.QueryEmbeddingCache;
import io.instructembed.pack.PackRegistry;
import io.instructembed.query.InstructKnnNestedQueryBuilder;
import io.instructembed.query.InstructKnnQueryBuilder;
import io.instructembed.query.QueryModelResolver;
import io.instructembed.rest.RestEmbedAction;
import io.instructembed.rest.RestGetModelsAction;
import io.instructembed.rest.RestModelLifecycleAction;
import io.instructembed.rest.RestStatsAction;
import io.instructembed.rest.openai.RestOpenAiEmbeddingsAction;
import io.instructembed.rest.openai.RestOpenAiModelsAction;
import io.instructembed.settings.InstructEmbedSettings;
import io.instructembed.transport.stats.StatsAction;
import io.instructembed.transport.stats.TransportStatsAction;
import io.instructembed.transport.embed.EmbedAction;
import io.instructembed.transport.embed.TransportEmbedAction;
import io.instructembed.transport.lifecycle.ModelLifecycleAction;
import io.instructembed.transport.lifecycle.TransportModelLifecycleAction;
import io.instructembed.transport.models.GetModelsAction;
import io.instructembed.transport.models.TransportGetModelsAction;
import io.instructembed.transport.serving.EmbedDocumentsOnNodeAction;
import io.instructembed.transport.serving.EmbedTextsOnNodeAction;
import io.instructembed.transport.serving.TransportEmbedDocumentsOnNodeAction;
import io.instructembed.transport.serving.TransportEmbedTextsOnNodeAction;
import io.instructembed.transport.serving.EmbeddingRole;
import io.instructembed.transport.serving.NodePacks;
import io.instructembed.transport.serving.RoutingEmbeddingService;
import io.instructembed.transport.serving.ServingCounters;
import io.instructembed.transport.serving.ServingWiring;
import io.instructembed.transport.serving.ServingStatsAction;
import io.instructembed.transport.serving.TransportServingStatsAction;
import io.instructembed.rest.RestServingStatsAction;
import org.opensearch.cluster.node.DiscoveryNodeRole;
import org.opensearch.common.lifecycle.LifecycleComponent;
import org.opensearch.action.ActionRequest;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Module;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.IndexScopedSettings;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.settings.SettingsFilter;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.NamedWriteableRegistry;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.env.Environment;
import org.opensearch.env.NodeEnvironment;
import org.opensearch.core.common.breaker.CircuitBreaker;
import org.opensearch.indices.breaker.BreakerSettings;
import org.opensearch.plugins.CircuitBreakerPlugin;
import org.opensearch.ingest.Processor;
import org.opensearch.plugins.ActionPlugin;
import org.opensearch.action.support.ActionFilter;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MappingTransformer;
import org.opensearch.plugins.IngestPlugin;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.SearchPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.repositories.RepositoriesService;
import org.opensearch.rest.RestController;
import org.opensearch.rest.RestHandler;
import org.opensearch.script.ScriptService;
import org.opensearch.threadpool.ExecutorBuilder;
import org.opensearch.threadpool.FixedExecutorBuilder;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.client.Client;
import org.opensearch.watcher.ResourceWatcherService;

import org.apache.logging.log4j.LogManager;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Wires the plugin together; the work lives in the feature packages. */
public class InstructEmbedPlugin extends Plugin implements ActionPlugin, IngestPlugin, SearchPlugin, MapperPlugin, CircuitBreakerPlugin {
    public static final String NAME = "instruct-embed";
    /** Bundled packs, inside the plugin's folder. */
    public static final String BUNDLED_PACKS = "model-packs";

    /** Texts one scheduler round tokenises and batches together. */
    private static final int ROUND_TEXTS = 256;

    /** Scanned once, when the node makes its plugins: their identities go into the node's attributes. */
    private final PackRegistry packs;
    private volatile ModelService modelService;
    private volatile RoutingEmbeddingService router;
    private volatile ClusterService clusterService;
    private volatile Client client;
    // One of each for the node: pipelines and system pipelines build processors with them.
    private final InstructEmbeddingProcessorFactory embeddingFactory = new InstructEmbeddingProcessorFactory(
        this::router,
        () -> clusterService,
        () -> client
    );
    private final InstructTextProcessorFactory instructTextFactory = new InstructTextProcessorFactory(embeddingFactory);
    private final InstructTextMappings instructTextMappings = new InstructTextMappings();
    // k-NN's libraries are looked for now, as the node starts, never on the mapping path
    private final InstructTextMappingTransformer mappingTransformer = new InstructTextMappingTransformer(
        () -> modelService().packs(),
        new EmbeddableCheck(this::router),
        KnnNativeLibraries.ofThisJvm()
    );
    private final InstructTextMappingFilter mappingFilter = new InstructTextMappingFilter(() -> clusterService, mappingTransformer);
    private final InstructTextSourceFilter sourceFilter = new InstructTextSourceFilter(() -> clusterService, instructTextMappings);
    private volatile IngestService ingestService;
    private volatile ThreadPool threadPool;
    private final IndexMappings indexMappings = new IndexMappings();
    private final PipelineTargetRecorder targetRecorder = new PipelineTargetRecorder(() -> clusterService, () -> ingestService, () -> client, indexMappings);
    private final BulkUpdateEmbeddingFilter bulkUpdateFilter = new BulkUpdateEmbeddingFilter(
        () -> clusterService,
        () -> ingestService,
        () -> threadPool
    );
    /** Set by the node before {@link #createComponents}. */
    private volatile CircuitBreaker breaker;

    /**
     * The node makes its plugins with its settings and config folder, before anything else: the
     * packs are scanned here, once, so that their identities are published in the node's attributes
     * ({@link #additionalSettings}) and the model service uses the same scan.
     */
    public InstructEmbedPlugin(Settings settings, Path configPath) {
        Environment environment = new Environment(settings, configPath);
        this.packs = PackRegistry.scan(userPacksDir(environment), environment.pluginsDir().resolve(NAME).resolve(BUNDLED_PACKS));
    }

    @Override
    public Settings additionalSettings() {
        return NodePacks.attributes(packs);
    }

    @Override
    public Set<DiscoveryNodeRole> getRoles() {
        return Set.of(EmbeddingRole.ROLE);
    }

    @Override
    public Collection<Object> createComponents(
        Client client,
        ClusterService clusterService,
        ThreadPool threadPool,
        ResourceWatcherService resourceWatcherService,
        ScriptService scriptService,
        NamedXContentRegistry xContentRegistry,
        Environment environment,
        NodeEnvironment nodeEnvironment,
        NamedWriteableRegistry namedWriteableRegistry,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<RepositoriesService> repositoriesServiceSupplier
    ) {
        this.clusterService = clusterService;
        this.client = client;
        this.threadPool = threadPool;
        NativeLibraries.configureDjl(environment.tmpDir());
        Settings settings = environment.settings();
        InferenceConfig inference = InferenceConfig.from(settings);
        CudaSupport cuda = new OnnxRuntimeCuda(
            InstructEmbedSettings.CUDA_MEMORY_LIMIT.get(settings).getBytes(),
            "next_power_of_two".equals(InstructEmbedSettings.CUDA_ARENA_EXTEND_STRATEGY.get(settings)) ? "kNextPowerOfTwo" : "kSameAsRequested"
        );
        modelService = new ModelService(
            packs,
            threadPool.executor(InstructEmbedSettings.INFERENCE_POOL),
            inference,
            new SessionOpener(inference, cuda),
            DevicePlan.from(settings),
            new QueryEmbeddingCache(InstructEmbedSettings.queryCacheBytes(settings)),
            new ModelService.SchedulerConfig(
                threadPool.info(InstructEmbedSettings.INFERENCE_POOL).getMax(),
                InstructEmbedSettings.QUEUE_MAX_TEXTS.get(settings),
                ROUND_TEXTS,
                InstructEmbedSettings.BATCH_MAX_WAIT.get(settings).nanos()
            ),
            new ModelMemory(breaker)
        );
        followDynamicSettings(clusterService.getClusterSettings(), modelService);
        ServingCounters servingCounters = new ServingCounters();
        ModelService local = modelService;
        router = new RoutingEmbeddingService(
            local,
            servingCounters,
            InstructEmbedSettings.SERVING_REQUIRE_ROLE.get(settings),
            InstructEmbedSettings.PRELOAD_MODELS.get(settings),
            local::preload,
            packId -> threadPool.generic().execute(() -> unloadNoLongerServed(local, packId))
        );
        clusterService.getClusterSettings().addSettingsUpdateConsumer(InstructEmbedSettings.SERVING_REQUIRE_ROLE, router::setRequireRole);
        clusterService.addListener(router);
        InstructKnnQueryBuilder.initialize(
            router,
            new QueryModelResolver(clusterService, indexNameExpressionResolver, instructTextMappings, indexMappings)
        );
        // bound by their classes for the transport actions: the serving actions run on this node's own models
        return List.of(modelService, router, servingCounters);
    }

    /** Frees a model that no call reaches on this node any more; waits for its running work (on the generic pool). */
    private static void unloadNoLongerServed(ModelService local, String packId) {
        try {
            local.unload(packId, 5, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LogManager.getLogger(InstructEmbedPlugin.class).warn("unloading model [" + packId + "], which this node no longer serves, failed", e);
        }
    }

    /** Tunables that are safe to change while models run apply at once, without a restart. */
    private static void followDynamicSettings(ClusterSettings clusterSettings, ModelService service) {
        clusterSettings.addSettingsUpdateConsumer(InstructEmbedSettings.QUEUE_MAX_TEXTS, service.limits()::setMaxQueuedTexts);
        clusterSettings.addSettingsUpdateConsumer(InstructEmbedSettings.BATCH_MAX_WAIT, wait -> service.limits().setMaxWaitNanos(wait.nanos()));
        clusterSettings.addSettingsUpdateConsumer(InstructEmbedSettings.QUERY_CACHE_MAX_BYTES, bytes -> service.queryCache().setMaxBytes(bytes.getBytes()));
        clusterSettings.addSettingsUpdateConsumer(InstructEmbedSettings.MAX_MODEL_BYTES, bytes -> service.memory().setLimit(bytes.getBytes()));
    }

    @Override
    public BreakerSettings getCircuitBreaker(Settings settings) {
        return new BreakerSettings(
            ModelMemory.BREAKER,
            ModelMemory.limitOf(InstructEmbedSettings.MAX_MODEL_BYTES.get(settings).getBytes()),
            1.0,
            CircuitBreaker.Type.MEMORY,
            CircuitBreaker.Durability.TRANSIENT
        );
    }

    @Override
    public void setCircuitBreaker(CircuitBreaker circuitBreaker) {
        this.breaker = circuitBreaker;
    }

    /** Where users put their own packs and the weights of packs we cannot ship. */
    public static Path userPacksDir(Environment environment) {
        return environment.configDir().resolve(NAME).resolve("packs");
    }

    /**
     * The transport actions ask for the model service by the interface they use. Guice modules are
     * made before {@link #createComponents}, so the bindings read the service when actions are built.
     */
    @Override
    public Collection<Module> createGuiceModules() {
        return List.of(binder -> {
            // every feature embeds through the router; only the serving actions use the models of this node
            binder.bind(EmbeddingService.class).toProvider(this::router);
            binder.bind(ModelLifecycleService.class).toProvider(this::modelService);
        });
    }

    @Override
    public Collection<Class<? extends LifecycleComponent>> getGuiceServiceClasses() {
        return List.of(ServingWiring.class);
    }

    @Override
    public List<ExecutorBuilder<?>> getExecutorBuilders(Settings settings) {
        // Bounded: a full queue rejects (429) instead of piling up texts in memory.
        return List.of(
            new FixedExecutorBuilder(
                settings,
                InstructEmbedSettings.INFERENCE_POOL,
                InstructEmbedSettings.defaultPoolSize(settings),
                256,
                "thread_pool." + InstructEmbedSettings.INFERENCE_POOL
            )
        );
    }

    @Override
    public List<Setting<?>> getSettings() {
        return InstructEmbedSettings.all();
    }

    @Override
    public List<ActionHandler<? extends ActionRequest, ? extends ActionResponse>> getActions() {
        return List.of(
            new ActionHandler<>(EmbedAction.INSTANCE, TransportEmbedAction.class),
            new ActionHandler<>(GetModelsAction.INSTANCE, TransportGetModelsAction.class),
            new ActionHandler<>(StatsAction.INSTANCE, TransportStatsAction.class),
            new ActionHandler<>(ModelLifecycleAction.INSTANCE, TransportModelLifecycleAction.class),
            // node to node only (internal:, no REST path): a serving node runs another node's call
            new ActionHandler<>(EmbedDocumentsOnNodeAction.INSTANCE, TransportEmbedDocumentsOnNodeAction.class),
            new ActionHandler<>(EmbedTextsOnNodeAction.INSTANCE, TransportEmbedTextsOnNodeAction.class),
            new ActionHandler<>(ServingStatsAction.INSTANCE, TransportServingStatsAction.class)
        );
    }

    @Override
    public List<RestHandler> getRestHandlers(
        Settings settings,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster
    ) {
        return List.of(new RestEmbedAction(), new RestGetModelsAction(), new RestStatsAction(), new RestOpenAiEmbeddingsAction(),
            new RestOpenAiModelsAction(), new RestModelLifecycleAction(), new RestServingStatsAction());
    }

    @Override
    public List<QuerySpec<?>> getQueries() {
        return List.of(
            new QuerySpec<>(InstructKnnQueryBuilder.NAME, InstructKnnQueryBuilder::new, InstructKnnQueryBuilder::fromXContent),
            // what instruct_knn on chunks becomes: sent to the shards, shown by _validate and profile
            new QuerySpec<>(InstructKnnNestedQueryBuilder.NAME, InstructKnnNestedQueryBuilder::new, InstructKnnNestedQueryBuilder::fromXContent)
        );
    }

    @Override
    public Map<String, Processor.Factory> getProcessors(Processor.Parameters parameters) {
        // Called before createComponents: the factory reaches the service once pipelines are built.
        this.ingestService = parameters.ingestService;
        return Map.of(InstructEmbeddingProcessor.TYPE, embeddingFactory);
    }

    @Override
    public Map<String, Processor.Factory> getSystemIngestProcessors(Processor.Parameters parameters) {
        return Map.of(InstructTextProcessor.TYPE, instructTextFactory);
    }

    @Override
    public Map<String, Mapper.TypeParser> getMappers() {
        return Map.of(
            InstructTextSpec.CONTENT_TYPE,
            InstructTextFieldMapper.PARSER,
            InstructVectorTypeParser.CONTENT_TYPE,
            new InstructVectorTypeParser()
        );
    }

    @Override
    public Map<String, MetadataFieldMapper.TypeParser> getMetadataMappers() {
        return Map.of(WriteRuleFieldMapper.NAME, WriteRuleFieldMapper.parser(() -> {
            InstructTextWriteRule instructTextFields = new InstructTextWriteRule();
            PipelineWriteRule pipelineTargets = new PipelineWriteRule(() -> ingestService);
            return context -> {
                List<CheckedField> fields = instructTextFields.fieldsOf(context);
                List<CheckedField> targets = pipelineTargets.fieldsOf(context);
                if (targets.isEmpty()) {
                    return fields;
                }
                List<CheckedField> all = new java.util.ArrayList<>(fields);
                all.addAll(targets);
                return all;
            };
        }));
    }

    @Override
    public List<MappingTransformer> getMappingTransformers() {
        return List.of(mappingTransformer);
    }

    @Override
    public List<ActionFilter> getActionFilters() {
        return List.of(sourceFilter, bulkUpdateFilter, targetRecorder, mappingFilter);
    }

    private RoutingEmbeddingService router() {
        RoutingEmbeddingService service = router;
        if (service == null) {
            throw new IllegalStateException("the instruct-embed model service is not started yet");
        }
        return service;
    }

    private ModelService modelService() {
        ModelService service = modelService;
        if (service == null) {
            throw new IllegalStateException("the instruct-embed model service is not started yet");
        }
        return service;
    }

    @Override
    public void close() {
        if (modelService != null) {
            modelService.close();
        }
    }
}
