package io.instructembed.field;

import io.instructembed.mapping.KnnNativeLibraries;
import io.instructembed.model.EmbeddableCheck;
import io.instructembed.pack.PackRegistry;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.admin.indices.create.CreateIndexAction;
import org.opensearch.action.admin.indices.create.CreateIndexRequest;
import org.opensearch.action.admin.indices.mapping.put.PutMappingAction;
import org.opensearch.action.admin.indices.mapping.put.PutMappingRequest;
import org.opensearch.action.admin.indices.template.put.PutComponentTemplateAction;
import org.opensearch.action.admin.indices.template.put.PutComposableIndexTemplateAction;
import org.opensearch.action.admin.indices.template.put.PutIndexTemplateAction;
import org.opensearch.action.admin.indices.template.put.PutIndexTemplateRequest;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.ComponentTemplate;
import org.opensearch.cluster.metadata.ComposableIndexTemplate;
import org.opensearch.cluster.metadata.Template;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.compress.CompressedXContent;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.tasks.Task;
import org.opensearch.test.ClusterServiceUtils;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.threadpool.TestThreadPool;
import org.opensearch.threadpool.ThreadPool;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Refused instruct_text mappings are refused before OpenSearch's mapping transformers run, since
 * OpenSearch logs every transformer failure at ERROR (issue #21, item 3).
 */
public class InstructTextMappingFilterTests extends OpenSearchTestCase {
    private static final String REFUSED = "{\"properties\":{\"body\":{\"type\":\"instruct_text\",\"model_id\":\"no-such-model\"}}}";
    private static final String PLAIN = "{\"properties\":{\"body\":{\"type\":\"text\"}}}";

    private ThreadPool threadPool;
    private ClusterService clusterService;
    private InstructTextMappingFilter filter;

    @Override
    public void setUp() throws Exception {
        super.setUp();
        threadPool = new TestThreadPool(getTestName());
        clusterService = ClusterServiceUtils.createClusterService(threadPool);
        PackRegistry noPacks = PackRegistry.scan(createTempDir(), createTempDir());
        InstructTextMappingTransformer transformer = new InstructTextMappingTransformer(
            () -> noPacks,
            new EmbeddableCheck(() -> { throw new AssertionError("an unknown model is refused before its processor is checked"); }),
            new KnnNativeLibraries(List.of(), path -> false)
        );
        filter = new InstructTextMappingFilter(() -> clusterService, transformer);
    }

    @Override
    public void tearDown() throws Exception {
        clusterService.close();
        terminate(threadPool);
        super.tearDown();
    }

    /** Runs the filter; answers whether the request went on to the action (else the listener has the refusal). */
    private boolean proceeds(String action, ActionRequest request, PlainActionFuture<ActionResponse> listener) {
        AtomicBoolean proceeded = new AtomicBoolean();
        filter.apply(null, action, request, listener, new ActionFilterChain<>() {
            @Override
            public void proceed(Task task, String action, ActionRequest request, ActionListener<ActionResponse> listener) {
                proceeded.set(true);
            }
        });
        return proceeded.get();
    }

    private static Template template(String mapping) throws IOException {
        return new Template(null, new CompressedXContent(mapping), null);
    }

    private static List<Object[]> requests(String mapping) throws IOException {
        PutComponentTemplateAction.Request component = new PutComponentTemplateAction.Request("c");
        component.componentTemplate(new ComponentTemplate(template(mapping), null, null));
        PutComposableIndexTemplateAction.Request composable = new PutComposableIndexTemplateAction.Request("t");
        composable.indexTemplate(new ComposableIndexTemplate(List.of("t-*"), template(mapping), null, null, null, null));
        return List.of(
            new Object[] { CreateIndexAction.NAME, new CreateIndexRequest("i").mapping(mapping, XContentType.JSON) },
            new Object[] { PutMappingAction.NAME, new PutMappingRequest("i").source(mapping, XContentType.JSON) },
            new Object[] { PutIndexTemplateAction.NAME, new PutIndexTemplateRequest("l").patterns(List.of("l-*")).mapping(mapping, XContentType.JSON) },
            new Object[] { PutComponentTemplateAction.NAME, component },
            new Object[] { PutComposableIndexTemplateAction.NAME, composable }
        );
    }

    public void testEveryActionThatTransformsMappingsRefusesBeforeTheTransformers() throws Exception {
        for (Object[] request : requests(REFUSED)) {
            PlainActionFuture<ActionResponse> listener = new PlainActionFuture<>();
            assertFalse(request[0].toString(), proceeds((String) request[0], (ActionRequest) request[1], listener));
            ExecutionException failure = expectThrows(ExecutionException.class, listener::get);
            MapperParsingException refused = (MapperParsingException) failure.getCause();
            assertEquals(RestStatus.BAD_REQUEST, refused.status());
            assertTrue(refused.getMessage(), refused.getMessage().contains("field [body] of type [instruct_text]: [model_id] model [no-such-model] not found"));
        }
    }

    public void testMappingsItAcceptsAndOtherActionsGoOn() throws Exception {
        for (Object[] request : requests(PLAIN)) {
            assertTrue(request[0].toString(), proceeds((String) request[0], (ActionRequest) request[1], new PlainActionFuture<>()));
        }
        assertTrue(proceeds("indices:data/write/bulk", new CreateIndexRequest("i").mapping(REFUSED, XContentType.JSON), new PlainActionFuture<>()));
        assertTrue("no mapping", proceeds(CreateIndexAction.NAME, new CreateIndexRequest("i"), new PlainActionFuture<>()));
    }

    public void testOnlyTheElectedClusterManagerJudges() throws Exception {
        ClusterState state = clusterService.state();
        ClusterServiceUtils.setState(
            clusterService,
            ClusterState.builder(state).nodes(DiscoveryNodes.builder(state.nodes()).clusterManagerNodeId(null)).build()
        );
        // the cluster manager, where OpenSearch runs the transformers, checks with its own packs
        for (Object[] request : requests(REFUSED)) {
            assertTrue(request[0].toString(), proceeds((String) request[0], (ActionRequest) request[1], new PlainActionFuture<>()));
        }
    }
}
