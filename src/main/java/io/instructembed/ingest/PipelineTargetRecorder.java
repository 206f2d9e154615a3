package io.instructembed.ingest;

import io.instructembed.mapping.IndexMappings;
import io.instructembed.mapping.TargetRecords;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.DocWriteRequest;
import org.opensearch.action.admin.indices.mapping.put.PutMappingRequest;
import org.opensearch.action.bulk.BulkRequest;
import org.opensearch.action.index.IndexRequest;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.action.support.ContextPreservingActionListener;
import org.opensearch.action.support.clustermanager.AcknowledgedResponse;
import org.opensearch.action.update.UpdateRequest;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.util.concurrent.ThreadContext;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.index.IndexSettings;
import org.opensearch.ingest.IngestService;
import org.opensearch.tasks.Task;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Records, before a bulk's first write through an embedding pipeline, which model and pack
 * identity write each pipeline target of the index ({@link TargetRecords}, in the mapping's
 * {@code _meta}), so that the processor can refuse another model later (one field, one model).
 * Done here, on the bulk, rather than in the processor: a pipeline {@code _simulate} runs the
 * processor too, and must not bind an index to a pipeline that never wrote to it. The put of the
 * mapping runs as the node (a writer needs no mapping privilege for it), once per index and
 * unrecorded target; a bulk whose targets are all recorded (the usual case) goes on at once. A
 * failed record is logged, and the bulk goes on: the next bulk records it.
 */
public final class PipelineTargetRecorder extends BulkActionFilter {
    private static final Logger logger = LogManager.getLogger(PipelineTargetRecorder.class);

    private final Supplier<ClusterService> clusterService;
    private final Supplier<IngestService> ingestService;
    private final Supplier<Client> client;
    private final IndexMappings metas;

    public PipelineTargetRecorder(Supplier<ClusterService> clusterService, Supplier<IngestService> ingestService, Supplier<Client> client, IndexMappings metas) {
        this.clusterService = clusterService;
        this.ingestService = ingestService;
        this.client = client;
        this.metas = metas;
    }

    @Override
    public int order() {
        return 11;
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
        Map<String, Map<String, TargetRecords.Written>> toRecord = unrecorded(bulk);
        if (toRecord.isEmpty()) {
            chain.proceed(task, action, request, listener);
            return;
        }
        AtomicInteger open = new AtomicInteger(toRecord.size());
        Runnable recorded = () -> {
            if (open.decrementAndGet() == 0) {
                chain.proceed(task, action, request, listener);
            }
        };
        ThreadContext threadContext = client.get().threadPool().getThreadContext();
        Metadata metadata = clusterService.get().state().metadata();
        toRecord.forEach((index, targets) -> {
            IndexMetadata indexMetadata = metadata.index(index);
            Map<String, Object> meta = indexMetadata == null ? Map.of() : metas.meta(indexMetadata);
            PutMappingRequest put = new PutMappingRequest(index).source(Map.of("_meta", TargetRecords.with(meta, targets)));
            ActionListener<AcknowledgedResponse> done = ActionListener.wrap(r -> recorded.run(), e -> {
                logger.warn("recording the writers {} of the targets of index [{}] failed: {}", targets, index, e.getMessage());
                recorded.run();
            });
            try (ThreadContext.StoredContext ignored = threadContext.stashContext()) {
                client.get().admin().indices().putMapping(put, new ContextPreservingActionListener<>(threadContext.newRestorableContext(false), done));
            }
        });
    }

    /** For each existing index the bulk writes through an embedding pipeline: its targets that no record names yet. */
    private Map<String, Map<String, TargetRecords.Written>> unrecorded(BulkRequest bulk) {
        Map<String, Map<String, TargetRecords.Written>> toRecord = new LinkedHashMap<>();
        IngestService ingest = ingestService.get();
        if (ingest == null) {
            return toRecord;
        }
        Metadata metadata = clusterService.get().state().metadata();
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (DocWriteRequest<?> item : bulk.requests()) {
            IndexRequest written = item instanceof IndexRequest index ? index : item instanceof UpdateRequest update ? update.doc() : null;
            if (written == null && item instanceof UpdateRequest update) {
                written = update.upsertRequest();
            }
            if (written == null) {
                continue;  // a delete
            }
            String itemPipeline = item instanceof IndexRequest index ? index.getPipeline() : null;
            IndexMetadata index = writeIndex(metadata, item.index());
            if (index == null) {
                continue;  // created by this bulk: recorded by the next one
            }
            if (seen.put(index.getIndex().getName() + "\u0000" + itemPipeline, Boolean.TRUE) != null) {
                continue;
            }
            Map<String, Object> meta = metas.meta(index);
            List<InstructEmbeddingProcessor> embedders = new ArrayList<>(PipelineWriteRule.embedders(
                PipelineWriteRule.pipeline(ingest, itemPipeline),
                PipelineWriteRule.pipeline(ingest, IndexSettings.DEFAULT_PIPELINE.get(index.getSettings())),
                PipelineWriteRule.pipeline(ingest, IndexSettings.FINAL_PIPELINE.get(index.getSettings()))
            ));
            for (InstructEmbeddingProcessor embedder : embedders) {
                for (String target : embedder.fieldMap().values()) {
                    if (TargetRecords.of(meta, target) == null) {
                        toRecord.computeIfAbsent(index.getIndex().getName(), i -> new LinkedHashMap<>())
                            .putIfAbsent(target, new TargetRecords.Written(embedder.modelId(), embedder.packIdentity()));
                    }
                }
            }
        }
        return toRecord;
    }
}
