package io.instructembed.ingest;

import io.instructembed.field.InstructTextField;
import io.instructembed.field.InstructTextMappings;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.DocWriteRequest;
import org.opensearch.action.bulk.BulkAction;
import org.opensearch.action.bulk.BulkItemResponse;
import org.opensearch.action.bulk.BulkRequest;
import org.opensearch.action.bulk.BulkResponse;
import org.opensearch.action.support.ActionFilter;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.action.update.UpdateRequest;
import org.opensearch.cluster.metadata.IndexAbstraction;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.cache.Cache;
import org.opensearch.common.cache.CacheBuilder;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.index.IndexSettings;
import org.opensearch.ingest.ConditionalProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.ingest.IngestService;
import org.opensearch.ingest.Pipeline;
import org.opensearch.ingest.Processor;
import org.opensearch.tasks.Task;
import org.opensearch.threadpool.ThreadPool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Embeds the partial documents of {@code _bulk} updates before they reach the shard. OpenSearch
 * runs ingest on a bulk update's upsert document only; the partial {@code doc} is merged into the
 * stored document on the shard, where nothing embeds, so a changed text would keep its old vectors
 * (and the shard's write rule would refuse it). Here each such {@code doc} goes through the same
 * embedders as an indexed document, in partial mode: the index's {@code instruct_text} fields and
 * the {@code instruct_embedding} processors of its default and final pipelines. A text in the
 * {@code doc} gets its vectors in the {@code doc}; a text set to null or blank nulls them; an
 * absent text leaves the stored ones, which are still its text's. A document that fails to embed
 * fails alone, as its item of the bulk response; the rest of the bulk goes on.
 *
 * <p>Not embedded here: updates with {@code doc_as_upsert} (OpenSearch runs ingest on their doc
 * already), scripted updates (their result exists only on the shard; the write rule refuses one
 * that changes an {@code instruct_text} text), and pipeline processors under an {@code if}
 * condition, which a partial document cannot answer.
 */
public final class BulkUpdateEmbeddingFilter implements ActionFilter {
    private static final Logger logger = LogManager.getLogger(BulkUpdateEmbeddingFilter.class);
    private static final int MAX_CACHED_INDICES = 1024;

    private final Supplier<ClusterService> clusterService;
    private final Supplier<IngestService> ingestService;
    private final Supplier<ThreadPool> threadPool;
    private final InstructTextMappings mappings;
    private final InstructTextProcessorFactory instructText;
    private final Cache<String, InstructTextProcessor> processors = CacheBuilder.<String, InstructTextProcessor>builder()
        .setMaximumWeight(MAX_CACHED_INDICES)
        .build();

    public BulkUpdateEmbeddingFilter(
        Supplier<ClusterService> clusterService,
        Supplier<IngestService> ingestService,
        Supplier<ThreadPool> threadPool,
        InstructTextMappings mappings,
        InstructTextProcessorFactory instructText
    ) {
        this.clusterService = clusterService;
        this.ingestService = ingestService;
        this.threadPool = threadPool;
        this.mappings = mappings;
        this.instructText = instructText;
    }

    @Override
    public int order() {
        return 10;
    }

    @Override
    public <Request extends ActionRequest, Response extends ActionResponse> void apply(
        Task task,
        String action,
        Request request,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    ) {
        if (BulkAction.NAME.equals(action) == false || request instanceof BulkRequest == false) {
            chain.proceed(task, action, request, listener);
            return;
        }
        BulkRequest bulk = (BulkRequest) request;
        List<Integer> partials = partialUpdates(bulk);
        if (partials.isEmpty()) {
            chain.proceed(task, action, request, listener);
            return;
        }
        // building an index's embedders may read a tokenizer: never on the thread that received the bulk
        threadPool.get().generic().execute(() -> embed(bulk, partials, failures -> {
            if (failures.isEmpty()) {
                chain.proceed(task, action, request, listener);
            } else {
                proceedWithout(task, action, bulk, failures, listener, chain);
            }
        }));
    }

    /** Positions of the bulk's updates with a partial doc that some embedder of their index reads. */
    private List<Integer> partialUpdates(BulkRequest bulk) {
        List<Integer> positions = new ArrayList<>();
        Metadata metadata = clusterService.get().state().metadata();
        List<DocWriteRequest<?>> requests = bulk.requests();
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i) instanceof UpdateRequest update && update.doc() != null && update.script() == null
                && update.docAsUpsert() == false) {
                IndexMetadata index = writeIndex(metadata, update.index());
                if (index != null && (mappings.of(index).isEmpty() == false || pipelineEmbedders(index).isEmpty() == false)) {
                    positions.add(i);
                }
            }
        }
        return positions;
    }

    private static IndexMetadata writeIndex(Metadata metadata, String name) {
        IndexAbstraction abstraction = name == null ? null : metadata.getIndicesLookup().get(name);
        if (abstraction == null) {
            return null;
        }
        return abstraction.getWriteIndex() == null ? null : metadata.index(abstraction.getWriteIndex().getIndex());
    }

    /** The instruct_embedding processors of the index's default and final pipelines, in the order they run. */
    private List<InstructEmbeddingProcessor> pipelineEmbedders(IndexMetadata index) {
        List<InstructEmbeddingProcessor> found = new ArrayList<>();
        for (String id : List.of(IndexSettings.DEFAULT_PIPELINE.get(index.getSettings()), IndexSettings.FINAL_PIPELINE.get(index.getSettings()))) {
            if (id == null || id.isEmpty() || IngestService.NOOP_PIPELINE_NAME.equals(id)) {
                continue;
            }
            Pipeline pipeline = ingestService.get().getPipeline(id);
            if (pipeline == null) {
                continue;
            }
            for (Processor processor : pipeline.getCompoundProcessor().flattenProcessors()) {
                if (processor instanceof InstructEmbeddingProcessor embedding && processor instanceof ConditionalProcessor == false) {
                    found.add(embedding);
                }
            }
        }
        return found;
    }

    /** Embeds the partial docs, index by index; answers the positions that failed, with why. */
    private void embed(BulkRequest bulk, List<Integer> positions, Consumer<Map<Integer, Exception>> done) {
        Map<Integer, Exception> failures = new LinkedHashMap<>();
        Map<String, List<Integer>> byIndex = new LinkedHashMap<>();
        Map<String, IndexMetadata> indices = new LinkedHashMap<>();
        Metadata metadata = clusterService.get().state().metadata();
        for (int position : positions) {
            UpdateRequest update = (UpdateRequest) bulk.requests().get(position);
            IndexMetadata index = writeIndex(metadata, update.index());
            if (index == null) {
                continue;  // deleted meanwhile: the bulk answers for it
            }
            indices.put(index.getIndex().getName(), index);
            byIndex.computeIfAbsent(index.getIndex().getName(), k -> new ArrayList<>()).add(position);
        }
        List<String> names = new ArrayList<>(byIndex.keySet());
        embedIndex(bulk, names, 0, indices, byIndex, failures, () -> done.accept(failures));
    }

    private void embedIndex(
        BulkRequest bulk,
        List<String> names,
        int next,
        Map<String, IndexMetadata> indices,
        Map<String, List<Integer>> byIndex,
        Map<Integer, Exception> failures,
        Runnable done
    ) {
        if (next == names.size()) {
            done.run();
            return;
        }
        IndexMetadata index = indices.get(names.get(next));
        List<Integer> positions = byIndex.get(names.get(next));
        List<IngestDocumentWrapper> wrappers = new ArrayList<>(positions.size());
        for (int i = 0; i < positions.size(); i++) {
            UpdateRequest update = (UpdateRequest) bulk.requests().get(positions.get(i));
            Map<String, Object> source = update.doc().sourceAsMap();
            IngestDocument document = new IngestDocument(index.getIndex().getName(), update.id(), update.routing(), null, null, source);
            wrappers.add(new IngestDocumentWrapper(i, positions.get(i), document, null));
        }
        List<FieldEmbedder> embedders = new ArrayList<>();
        try {
            List<InstructTextField> fields = mappings.of(index);
            if (fields.isEmpty() == false) {
                embedders.add(instructTextProcessor(index, fields)::batchExecute);
            }
        } catch (RuntimeException e) {
            for (int position : positions) {
                failures.put(position, e);
            }
            embedIndex(bulk, names, next + 1, indices, byIndex, failures, done);
            return;
        }
        embedders.addAll(pipelineEmbedders(index));
        runEmbedders(embedders, 0, wrappers, () -> {
            for (IngestDocumentWrapper wrapper : wrappers) {
                int position = positions.get(wrapper.getSlot());
                if (wrapper.getException() != null) {
                    failures.put(position, wrapper.getException());
                } else {
                    Map<String, Object> source = new LinkedHashMap<>(wrapper.getIngestDocument().getSourceAndMetadata());
                    for (IngestDocument.Metadata field : IngestDocument.Metadata.values()) {
                        source.remove(field.getFieldName());
                    }
                    ((UpdateRequest) bulk.requests().get(position)).doc().source(source, XContentType.JSON);
                }
            }
            embedIndex(bulk, names, next + 1, indices, byIndex, failures, done);
        });
    }

    private static void runEmbedders(List<FieldEmbedder> embedders, int next, List<IngestDocumentWrapper> wrappers, Runnable done) {
        if (next == embedders.size()) {
            done.run();
            return;
        }
        embedders.get(next).batchExecute(wrappers, true, result -> runEmbedders(embedders, next + 1, wrappers, done));
    }

    private InstructTextProcessor instructTextProcessor(IndexMetadata index, List<InstructTextField> fields) {
        try {
            return processors.computeIfAbsent(
                index.getIndexUUID() + "/" + index.getMappingVersion(),
                key -> instructText.forFields(null, fields)
            );
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        }
    }

    /**
     * Sends the bulk on without the items that failed to embed, and answers with their failures
     * in their places: the client sees one response for every item, in order.
     */
    private static <Request extends ActionRequest, Response extends ActionResponse> void proceedWithout(
        Task task,
        String action,
        BulkRequest bulk,
        Map<Integer, Exception> failures,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    ) {
        List<DocWriteRequest<?>> all = new ArrayList<>(bulk.requests());
        List<Integer> kept = new ArrayList<>();
        bulk.requests().clear();
        for (int i = 0; i < all.size(); i++) {
            if (failures.containsKey(i) == false) {
                bulk.requests().add(all.get(i));
                kept.add(i);
            }
        }
        BulkItemResponse[] items = new BulkItemResponse[all.size()];
        failures.forEach((position, e) -> {
            DocWriteRequest<?> item = all.get(position);
            items[position] = new BulkItemResponse(position, item.opType(), new BulkItemResponse.Failure(item.index(), item.id(), e));
        });
        if (kept.isEmpty()) {
            @SuppressWarnings("unchecked")
            Response response = (Response) new BulkResponse(items, 0);
            listener.onResponse(response);
            return;
        }
        ActionListener<BulkResponse> spliced = ActionListener.wrap(response -> {
            BulkItemResponse[] answered = response.getItems();
            for (int i = 0; i < answered.length; i++) {
                BulkItemResponse item = answered[i];
                int position = kept.get(i);
                items[position] = item.isFailed()
                    ? new BulkItemResponse(position, item.getOpType(), item.getFailure())
                    : new BulkItemResponse(position, item.getOpType(), item.getResponse());
            }
            listener.onResponse(cast(new BulkResponse(items, response.getTook().millis(), response.getIngestTookInMillis())));
        }, listener::onFailure);
        logger.debug("bulk: {} partial updates failed to embed and were left out", failures.size());
        @SuppressWarnings("unchecked")
        Request same = (Request) bulk;
        chain.proceed(task, action, same, cast(spliced));
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object value) {
        return (T) value;
    }
}
