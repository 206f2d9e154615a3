package io.instructembed.field;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.ExceptionsHelper;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.admin.indices.create.CreateIndexAction;
import org.opensearch.action.admin.indices.create.CreateIndexRequest;
import org.opensearch.action.admin.indices.mapping.put.PutMappingAction;
import org.opensearch.action.admin.indices.mapping.put.PutMappingRequest;
import org.opensearch.action.admin.indices.template.put.PutComponentTemplateAction;
import org.opensearch.action.admin.indices.template.put.PutComposableIndexTemplateAction;
import org.opensearch.action.admin.indices.template.put.PutIndexTemplateAction;
import org.opensearch.action.admin.indices.template.put.PutIndexTemplateRequest;
import org.opensearch.action.support.ActionFilter;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.cluster.metadata.Template;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.tasks.Task;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * Refuses a mapping that {@link InstructTextMappingTransformer} refuses (an unknown model, a
 * dynamic template of {@code instruct_text}, a native engine this node's k-NN lacks...) before
 * OpenSearch runs the mapping transformers: OpenSearch's transformer registry logs every
 * transformer's failure at ERROR, whatever its status, so any client allowed to create indices
 * could fill the node's log with refused mappings. Refused here, the 400 goes back as every client
 * error does, logged at DEBUG at most; the transformer then sees only mappings it accepts.
 *
 * <p>The actions are those whose mappings OpenSearch transforms: create index, put mapping, and
 * the three kinds of templates. The check runs where OpenSearch runs the transformers, on the
 * elected cluster manager (the request is forwarded there with its filters), and with the same
 * packs; on other nodes requests pass, since their packs may differ.
 */
public final class InstructTextMappingFilter implements ActionFilter {
    private static final Logger logger = LogManager.getLogger(InstructTextMappingFilter.class);

    private final Supplier<ClusterService> clusterService;
    private final InstructTextMappingTransformer transformer;

    public InstructTextMappingFilter(Supplier<ClusterService> clusterService, InstructTextMappingTransformer transformer) {
        this.clusterService = clusterService;
        this.transformer = transformer;
    }

    @Override
    public int order() {
        // after security plugins (which use low orders) have decided who may change mappings
        return 1000;
    }

    @Override
    public <Request extends ActionRequest, Response extends ActionResponse> void apply(
        Task task,
        String action,
        Request request,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    ) {
        String mapping = mappingOf(action, request);
        // most mappings have no instruct_text field: they are not parsed a second time
        if (mapping != null && mapping.contains(InstructTextSpec.CONTENT_TYPE) && onClusterManager()) {
            try {
                transformer.apply(MapperService.parseMapping(NamedXContentRegistry.EMPTY, mapping));
            } catch (IOException e) {
                // not JSON: OpenSearch answers it in its own words
            } catch (RuntimeException e) {
                if (ExceptionsHelper.status(e).getStatus() < 500) {
                    logger.debug("refused the mapping of [{}]: {}", action, e.getMessage());
                    listener.onFailure(e);
                    return;
                }
                // not a refusal of the mapping: OpenSearch's own path reports it
            }
        }
        chain.proceed(task, action, request, listener);
    }

    private boolean onClusterManager() {
        ClusterService service = clusterService.get();
        return service != null && service.state().nodes().isLocalNodeElectedClusterManager();
    }

    /** The mapping source the action hands to the transformers, or null when it has none (or is another action). */
    static String mappingOf(String action, ActionRequest request) {
        if (CreateIndexAction.NAME.equals(action) && request instanceof CreateIndexRequest create) {
            return create.mappings();
        }
        if (PutMappingAction.NAME.equals(action) && request instanceof PutMappingRequest put) {
            return put.source();
        }
        if (PutIndexTemplateAction.NAME.equals(action) && request instanceof PutIndexTemplateRequest legacy) {
            return legacy.mappings();
        }
        if (PutComponentTemplateAction.NAME.equals(action) && request instanceof PutComponentTemplateAction.Request component) {
            return component.componentTemplate() == null ? null : mappingOf(component.componentTemplate().template());
        }
        if (PutComposableIndexTemplateAction.NAME.equals(action) && request instanceof PutComposableIndexTemplateAction.Request composable) {
            return composable.indexTemplate() == null ? null : mappingOf(composable.indexTemplate().template());
        }
        return null;
    }

    private static String mappingOf(Template template) {
        return template == null || template.mappings() == null ? null : template.mappings().string();
    }
}
