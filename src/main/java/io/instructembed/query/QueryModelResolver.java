package io.instructembed.query;

import io.instructembed.field.InstructTextSpec;
import io.instructembed.field.InstructTextMappings;
import io.instructembed.ingest.EmbeddingOptionsParser;
import io.instructembed.ingest.InstructEmbeddingProcessor;
import io.instructembed.mapping.IndexMappings;
import io.instructembed.mapping.TargetRecords;
import io.instructembed.mapping.VectorFieldMappings;
import org.opensearch.action.IndicesRequest;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.index.IndexSettings;
import org.opensearch.ingest.IngestMetadata;
import org.opensearch.ingest.PipelineConfiguration;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds the model of an {@code instruct_knn} query that names none: the model of the
 * {@code instruct_embedding} processor, in the index's default or final pipeline, that writes the
 * queried field. Several indices must agree, so that one query vector fits them all.
 */
public final class QueryModelResolver {
    private final ClusterService clusterService;
    private final IndexNameExpressionResolver indexNameResolver;
    private final InstructTextMappings instructTextMappings;
    private final IndexMappings indexMappings;
    /** The parsed configs of the pipelines, for the cluster state's ingest metadata they were read from. */
    private volatile ParsedPipelines pipelines = new ParsedPipelines(null, Map.of());

    private record ParsedPipelines(IngestMetadata source, Map<String, Map<String, Object>> configs) {}

    public QueryModelResolver(ClusterService clusterService, IndexNameExpressionResolver indexNameResolver) {
        this(clusterService, indexNameResolver, new InstructTextMappings(), new IndexMappings());
    }

    /**
     * @param instructTextMappings the node's one reader of instruct_text mappings, shared with the response filter
     * @param indexMappings        the node's one reader of vector fields and {@code _meta}s, shared with the bulk filter that records target writers
     */
    public QueryModelResolver(
        ClusterService clusterService,
        IndexNameExpressionResolver indexNameResolver,
        InstructTextMappings instructTextMappings,
        IndexMappings indexMappings
    ) {
        this.clusterService = clusterService;
        this.indexNameResolver = indexNameResolver;
        this.instructTextMappings = instructTextMappings;
        this.indexMappings = indexMappings;
    }

    /** The index's vector fields, from the mapping read once per mapping version. */
    public VectorFieldMappings vectorMappings(IndexMetadata index) {
        return indexMappings.of(index);
    }

    /**
     * Why {@code model} (with pack identity {@code pack}) must not query {@code field} in the
     * indices, or null: an index mapping records another model (or other files) as the writer of
     * the pipeline target the field belongs to ({@link TargetRecords}).
     */
    public String recordedOtherwise(String[] indices, String field, String model, String pack) {
        ClusterState state = state();
        for (String index : indices) {
            IndexMetadata metadata = state.metadata().index(index);
            if (metadata == null) {
                continue;
            }
            Map<String, Object> meta = indexMappings.meta(metadata);
            String target = field.endsWith("." + VectorFieldMappings.ARRAY_VECTOR)
                && TargetRecords.of(meta, field) == null
                ? field.substring(0, field.length() - VectorFieldMappings.ARRAY_VECTOR.length() - 1)
                : field;
            String problem = TargetRecords.problem(index, target, TargetRecords.of(meta, target), model, pack);
            if (problem != null) {
                return "[instruct_knn] " + problem;
            }
        }
        return null;
    }

    public ClusterService clusterService() {
        return clusterService;
    }

    public ClusterState state() {
        return clusterService.state();
    }

    public String[] concreteIndices(IndicesRequest request) {
        return indexNameResolver.concreteIndexNames(clusterService.state(), request);
    }

    /**
     * The one model id the indices' pipelines use for {@code field}, resolved index by index; null
     * when no searched index needs a vector (no index matched, or, with {@code ignore_unmapped},
     * none of them maps the field): the query then finds nothing, as k-NN's would. Else a 400
     * naming the indices: some that cannot be resolved (their pipelines do not write the field,
     * which they map or {@code ignore_unmapped} is off), or several models.
     */
    public String resolve(ClusterState state, String[] indices, String field, boolean ignoreUnmapped) {
        TreeMap<String, TreeSet<String>> indicesByModel = new TreeMap<>();
        TreeSet<String> unresolved = new TreeSet<>();
        TreeSet<String> unmapped = new TreeSet<>();
        for (String index : indices) {
            IndexMetadata metadata = state.metadata().index(index);
            if (metadata == null) {
                continue;
            }
            TreeSet<String> models = modelsWriting(state, metadata, field);
            if (models.isEmpty()) {
                if (mapsField(metadata, field)) {
                    unresolved.add(index);
                } else if (ignoreUnmapped == false) {
                    unmapped.add(index);
                }
                continue;
            }
            for (String model : models) {
                indicesByModel.computeIfAbsent(model, m -> new TreeSet<>()).add(index);
            }
        }
        if (indicesByModel.isEmpty()) {
            unresolved.addAll(unmapped);
            if (unresolved.isEmpty()) {
                return null;
            }
            throw new IllegalArgumentException(
                "[instruct_knn] no [model_id] given, and no instruct_embedding processor in the default or final pipeline of "
                    + unresolved + " writes field [" + field + "]: give [model_id]"
            );
        }
        if (indicesByModel.size() > 1) {
            throw new IllegalArgumentException(
                "[instruct_knn] no [model_id] given, and the pipelines of the searched indices embed field [" + field
                    + "] with different models " + indicesByModel + ": give [model_id]"
            );
        }
        if (unresolved.isEmpty() == false) {
            throw new IllegalArgumentException(
                "[instruct_knn] no [model_id] given: the pipelines of " + indicesByModel.firstEntry().getValue() + " embed field [" + field
                    + "] with model [" + indicesByModel.firstKey() + "], but no instruct_embedding processor of " + unresolved
                    + " writes it: give [model_id], or search them separately"
            );
        }
        // indices that do not map the field at all are left to the query's field check, which names them and offers ignore_unmapped
        return indicesByModel.firstKey();
    }

    /**
     * The {@code instruct_text} field that a query on {@code field} is about, in the searched
     * indices: the text field itself, or one of the sub-fields that hold its vectors. Null when no
     * index declares it. The indices must agree (same model, same chunking), since one query vector
     * runs on all of them; an index that maps {@code field} some other way is a 400 as well.
     */
    public InstructTextSpec instructText(String[] indices, String field) {
        ClusterState state = state();
        TreeMap<String, TreeSet<String>> indicesByField = new TreeMap<>();
        Map<String, InstructTextSpec> byKey = new TreeMap<>();
        List<IndexMetadata> without = new ArrayList<>();
        for (String index : indices) {
            IndexMetadata metadata = state.metadata().index(index);
            if (metadata == null) {
                continue;
            }
            InstructTextSpec found = null;
            for (InstructTextSpec candidate : instructTextMappings.of(metadata)) {
                if (field.equals(candidate.path()) || field.equals(candidate.target()) || field.equals(candidate.vectorPath())) {
                    found = candidate;
                }
            }
            if (found != null) {
                String key = "model [" + found.modelId() + "]" + (found.chunked() ? " chunked" : " unchunked")
                    + (found.recordedPack() == null ? "" : " pack [" + found.recordedPack() + "]");
                byKey.put(key, found);
                indicesByField.computeIfAbsent(key, k -> new TreeSet<>()).add(index);
            } else {
                without.add(metadata);
            }
        }
        if (byKey.isEmpty()) {
            return null;
        }
        if (byKey.size() > 1) {
            throw new IllegalArgumentException(
                "[instruct_knn] field [" + field + "] is an instruct_text field embedded differently in the searched indices "
                    + indicesByField + ": one query vector cannot search them all; search them separately"
            );
        }
        // only when some index has the field: which of the others map it some other way
        TreeSet<String> otherwise = new TreeSet<>();
        for (IndexMetadata metadata : without) {
            if (mapsField(metadata, field)) {
                otherwise.add(metadata.getIndex().getName());
            }
        }
        if (otherwise.isEmpty() == false) {
            throw new IllegalArgumentException(
                "[instruct_knn] field [" + field + "] is an instruct_text field in " + indicesByField.firstEntry().getValue()
                    + " but mapped otherwise in " + otherwise + ": search them separately"
            );
        }
        return byKey.values().iterator().next();
    }

    /** Model ids of the instruct_embedding processors, in the index's default and final pipelines, that write {@code field}. */
    private TreeSet<String> modelsWriting(ClusterState state, IndexMetadata metadata, String field) {
        Map<String, Map<String, Object>> configs = pipelineConfigs(state.metadata().custom(IngestMetadata.TYPE));
        TreeSet<String> models = new TreeSet<>();
        for (String pipeline : List.of(
            IndexSettings.DEFAULT_PIPELINE.get(metadata.getSettings()),
            IndexSettings.FINAL_PIPELINE.get(metadata.getSettings())
        )) {
            Map<String, Object> config = configs.get(pipeline);
            if (config != null) {
                models.addAll(modelsWriting(config, field));
            }
        }
        return models;
    }

    /**
     * The pipelines' configs, parsed once per change of the cluster's pipelines rather than on every
     * query: cluster states share their ingest metadata until a pipeline changes, so the instance
     * tells whether the parsed configs are still current.
     */
    private Map<String, Map<String, Object>> pipelineConfigs(IngestMetadata ingest) {
        ParsedPipelines parsed = pipelines;
        if (parsed.source() != ingest) {
            Map<String, Map<String, Object>> configs = new java.util.HashMap<>();
            if (ingest != null) {
                for (PipelineConfiguration config : ingest.getPipelines().values()) {
                    configs.put(config.getId(), config.getConfigAsMap());
                }
            }
            parsed = new ParsedPipelines(ingest, Map.copyOf(configs));
            pipelines = parsed;
        }
        return parsed.configs();
    }

    private boolean mapsField(IndexMetadata metadata, String field) {
        return indexMappings.of(metadata).isMapped(field);
    }

    /** Model ids of the pipeline's instruct_embedding processors that write {@code field}. */
    @SuppressWarnings("unchecked")
    static TreeSet<String> modelsWriting(Map<String, Object> pipeline, String field) {
        TreeSet<String> models = new TreeSet<>();
        Object processors = pipeline.get("processors");
        if (processors instanceof List<?> list) {
            for (Object processor : list) {
                if (processor instanceof Map<?, ?> map && map.get(InstructEmbeddingProcessor.TYPE) instanceof Map<?, ?> config) {
                    Object fieldMap = config.get(EmbeddingOptionsParser.FIELD_MAP);
                    Object model = config.get(EmbeddingOptionsParser.MODEL_ID);
                    if (fieldMap instanceof Map<?, ?> targets && model instanceof String modelId) {
                        for (Object target : ((Map<String, Object>) targets).values()) {
                            // arrays of texts are written as nested {text, vector} objects
                            if (field.equals(target) || field.equals(target + ".vector")) {
                                models.add(modelId);
                            }
                        }
                    }
                }
            }
        }
        return models;
    }
}
