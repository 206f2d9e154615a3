package io.instructembed.ingest;

import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.writerule.SourceValues;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.DocWriteRequest;
import org.opensearch.action.bulk.BulkItemResponse;
import org.opensearch.action.bulk.BulkRequest;
import org.opensearch.action.bulk.BulkResponse;
import org.opensearch.action.index.IndexRequest;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.action.update.UpdateRequest;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.index.IndexSettings;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.ingest.IngestService;
import org.opensearch.tasks.Task;
import org.opensearch.threadpool.ThreadPool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Embeds, for the index's embedding pipelines, the partial documents of {@code _bulk} updates
 * before they reach the shard. OpenSearch runs an index's default and final pipelines on a bulk
 * update's upsert document only (and on its doc with {@code doc_as_upsert}); the partial
 * {@code doc} is merged into the stored document on the shard, where nothing embeds, so a changed
 * text would keep the vectors of the old one. Here each such {@code doc} goes through the
 * {@code instruct_embedding} processors of those pipelines, in partial mode: a text in the
 * {@code doc} gets its vectors in the {@code doc}; a text set to null or blank nulls them; an
 * absent text leaves the stored ones, which are still its text's. A document that fails to embed
 * fails alone, as its item of the bulk response; the rest of the bulk goes on. (instruct_text
 * fields need none of this: OpenSearch runs system pipelines on partial docs.)
 *
 * <p>A scripted upsert's upsert document also gets the fingerprint of no text for each target
 * whose text it lacks, so that the write rule refuses a script that adds the text on the shard.
 * Not embedded here: scripted updates (their result exists only on the shard, where the write rule
 * refuses one that changes a fingerprinted text) and processors under an {@code if} condition,
 * which a partial document cannot answer.
 */
public final class BulkUpdateEmbeddingFilter extends BulkActionFilter {
    private static final Logger logger = LogManager.getLogger(BulkUpdateEmbeddingFilter.class);

    private final Supplier<ClusterService> clusterService;
    private final Supplier<IngestService> ingestService;
    private final Supplier<ThreadPool> threadPool;

    public BulkUpdateEmbeddingFilter(
        Supplier<ClusterService> clusterService,
        Supplier<IngestService> ingestService,
        Supplier<ThreadPool> threadPool
    ) {
        this.clusterService = clusterService;
        this.ingestService = ingestService;
        this.threadPool = threadPool;
    }

    @Override
    public int order() {
        return 10;
    }

    @Override
    protected <Request extends ActionRequest, Response extends ActionResponse> void applyToBulk(
        Task task,
        String action,
        BulkRequest bulk,
        Request request,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    ) {
        List<IndexUpdates> partials = partialUpdates(bulk);
        if (partials.isEmpty()) {
            chain.proceed(task, action, request, listener);
            return;
        }
        // reading mappings and sources, and the embedders' own reads: never on the thread that received the bulk
        threadPool.get().generic().execute(() -> embed(bulk, partials, failures -> {
            if (failures.isEmpty()) {
                chain.proceed(task, action, request, listener);
            } else {
                proceedWithout(task, action, bulk, failures, listener, chain);
            }
        }));
    }

    /** One index's updates that its embedding pipelines must see, resolved once per bulk. */
    private record IndexUpdates(IndexMetadata index, List<InstructEmbeddingProcessor> embedders, List<Integer> positions) {}

    /** The bulk's updates with a partial doc (or a scripted upsert) into an index with embedding pipelines, by index. */
    private List<IndexUpdates> partialUpdates(BulkRequest bulk) {
        Map<String, IndexUpdates> byIndex = new LinkedHashMap<>();
        Metadata metadata = clusterService.get().state().metadata();
        List<DocWriteRequest<?>> requests = bulk.requests();
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i) instanceof UpdateRequest update && (embedsDoc(update) || update.scriptedUpsert())) {
                IndexMetadata index = writeIndex(metadata, update.index());
                if (index == null) {
                    continue;  // created by this bulk: nothing stored to merge into
                }
                IndexUpdates updates = byIndex.computeIfAbsent(
                    index.getIndex().getName(),
                    name -> new IndexUpdates(index, pipelineEmbedders(index), new ArrayList<>())
                );
                if (updates.embedders().isEmpty() == false) {
                    updates.positions().add(i);
                }
            }
        }
        return byIndex.values().stream().filter(updates -> updates.positions().isEmpty() == false).toList();
    }

    /** A partial doc that the shard merges without ingest. */
    private static boolean embedsDoc(UpdateRequest update) {
        return update.doc() != null && update.script() == null && update.docAsUpsert() == false;
    }

    /** The instruct_embedding processors of the index's default and final pipelines, in the order they run. */
    private List<InstructEmbeddingProcessor> pipelineEmbedders(IndexMetadata index) {
        IngestService ingest = ingestService.get();
        return PipelineWriteRule.embedders(
            PipelineWriteRule.pipeline(ingest, IndexSettings.DEFAULT_PIPELINE.get(index.getSettings())),
            PipelineWriteRule.pipeline(ingest, IndexSettings.FINAL_PIPELINE.get(index.getSettings()))
        );
    }

    /** Embeds the partial docs, index by index; answers the positions that failed, with why. */
    private void embed(BulkRequest bulk, List<IndexUpdates> indices, Consumer<Map<Integer, Exception>> done) {
        Map<Integer, Exception> failures = new LinkedHashMap<>();
        embedIndex(bulk, indices, 0, failures, () -> done.accept(failures));
    }

    private void embedIndex(BulkRequest bulk, List<IndexUpdates> indices, int next, Map<Integer, Exception> failures, Runnable done) {
        if (next == indices.size()) {
            done.run();
            return;
        }
        IndexMetadata index = indices.get(next).index();
        List<InstructEmbeddingProcessor> embedders = indices.get(next).embedders();
        VectorFieldMappings targets = null;
        List<Integer> positions = new ArrayList<>();
        for (int position : indices.get(next).positions()) {
            UpdateRequest update = (UpdateRequest) bulk.requests().get(position);
            if (update.scriptedUpsert() && update.upsertRequest() != null) {
                if (targets == null) {
                    targets = VectorFieldMappings.of(clusterService.get(), index.getIndex().getName());  // one read of the mapping per index
                }
                markNoText(update.upsertRequest(), embedders, targets);
            }
            if (embedsDoc(update)) {
                positions.add(position);
            }
        }
        List<IngestDocumentWrapper> wrappers = new ArrayList<>(positions.size());
        for (int i = 0; i < positions.size(); i++) {
            UpdateRequest update = (UpdateRequest) bulk.requests().get(positions.get(i));
            Map<String, Object> source = update.doc().sourceAsMap();
            IngestDocument document = new IngestDocument(index.getIndex().getName(), update.id(), update.routing(), null, null, source);
            wrappers.add(new IngestDocumentWrapper(i, positions.get(i), document, null));
        }
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
            embedIndex(bulk, indices, next + 1, failures, done);
        });
    }

    /** Gives a scripted upsert's document the fingerprint of no text for each fingerprinted target whose text it lacks. */
    private static void markNoText(IndexRequest upsert, List<InstructEmbeddingProcessor> embedders, VectorFieldMappings targets) {
        Map<String, Object> source = upsert.sourceAsMap();
        boolean changed = false;
        for (InstructEmbeddingProcessor embedder : embedders) {
            for (Map.Entry<String, String> entry : embedder.fieldMap().entrySet()) {
                String fingerprint = EmbeddingFingerprint.fieldFor(entry.getValue());
                if (SourceValues.find(source, entry.getKey()).present() == false && targets.isMapped(fingerprint)) {
                    SourceValues.remove(source, fingerprint);
                    source.put(fingerprint, embedder.noTextFingerprint());
                    changed = true;
                }
            }
        }
        if (changed) {
            upsert.source(source, XContentType.JSON);
        }
    }

    private static void runEmbedders(List<? extends FieldEmbedder> embedders, int next, List<IngestDocumentWrapper> wrappers, Runnable done) {
        if (next == embedders.size()) {
            done.run();
            return;
        }
        embedders.get(next).batchExecute(wrappers, true, result -> runEmbedders(embedders, next + 1, wrappers, done));
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
