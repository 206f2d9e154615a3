package io.instructembed.ingest;

import io.instructembed.mapping.TargetRecords;
import io.instructembed.mapping.VectorFieldMappings;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.admin.indices.mapping.put.PutMappingRequest;
import org.opensearch.action.support.ContextPreservingActionListener;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.util.concurrent.ThreadContext;
import org.opensearch.core.action.ActionListener;
import org.opensearch.transport.client.Client;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One field, one model, for pipeline targets: before a batch is embedded, each target it writes
 * is checked against the model the index mapping records for it ({@link TargetRecords}); a target
 * that nobody recorded yet is recorded for this processor's model and pack identity, with one put
 * of the mapping's {@code _meta} per index, as the node (a writer needs no mapping privilege), and
 * read back, so that two pipelines racing to record different models cannot both win.
 */
final class TargetRecorder {
    private static final Logger logger = LogManager.getLogger(TargetRecorder.class);

    private final String modelId;
    /** The pack identity, or null while its files are not installed (the model id is then recorded alone). */
    private final String pack;
    private final Supplier<Client> client;
    private final ClusterService clusterService;

    TargetRecorder(String modelId, String pack, Supplier<Client> client, ClusterService clusterService) {
        this.modelId = modelId;
        this.pack = pack;
        this.client = client;
        this.clusterService = clusterService;
    }

    /**
     * Answers, for each index and target that this model must not write, why (keys
     * {@code index + '\0' + target}); records the unrecorded targets first.
     */
    void check(Map<String, VectorFieldMappings> mappings, Map<String, Set<String>> written, Consumer<Map<String, String>> answer) {
        Map<String, Map<String, TargetRecords.Written>> toRecord = new LinkedHashMap<>();
        Map<String, String> problems = problems(mappings, written, toRecord);
        if (toRecord.isEmpty()) {
            answer.accept(problems);
            return;
        }
        AtomicInteger open = new AtomicInteger(toRecord.size());
        Runnable recorded = () -> {
            if (open.decrementAndGet() == 0) {
                // read back: what the cluster state now records decides, whoever recorded it
                Map<String, VectorFieldMappings> now = new HashMap<>();
                for (String index : written.keySet()) {
                    now.put(index, VectorFieldMappings.of(clusterService, index));
                }
                answer.accept(problems(now, written, new LinkedHashMap<>()));
            }
        };
        ThreadContext threadContext = client.get().threadPool().getThreadContext();
        toRecord.forEach((index, targets) -> {
            PutMappingRequest request = new PutMappingRequest(index).source(Map.of("_meta", TargetRecords.with(mappings.get(index).meta(), targets)));
            ActionListener<org.opensearch.action.support.clustermanager.AcknowledgedResponse> listener = ActionListener.wrap(r -> recorded.run(), e -> {
                logger.warn("recording model [{}] for the targets {} of index [{}] failed: {}", modelId, targets.keySet(), index, e.getMessage());
                recorded.run();
            });
            try (ThreadContext.StoredContext ignored = threadContext.stashContext()) {
                client.get().admin().indices().putMapping(request, new ContextPreservingActionListener<>(threadContext.newRestorableContext(false), listener));
            }
        });
    }

    private Map<String, String> problems(
        Map<String, VectorFieldMappings> mappings,
        Map<String, Set<String>> written,
        Map<String, Map<String, TargetRecords.Written>> toRecord
    ) {
        Map<String, String> problems = new HashMap<>();
        written.forEach((index, targets) -> {
            VectorFieldMappings mapping = mappings.get(index);
            if (mapping == null || mapping.exists() == false) {
                return;  // created by this write: recorded by the next one
            }
            for (String target : targets) {
                TargetRecords.Written recorded = mapping.recorded(target);
                if (recorded == null) {
                    toRecord.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(target, new TargetRecords.Written(modelId, pack));
                } else {
                    String problem = TargetRecords.problem(index, target, recorded, modelId, pack);
                    if (problem != null) {
                        problems.put(index + '\u0000' + target, problem);
                    }
                }
            }
        });
        return problems;
    }
}
