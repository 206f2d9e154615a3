package io.instructembed.query;

import io.instructembed.field.InstructTextSpec;
import io.instructembed.field.WrittenBy;
import io.instructembed.writerule.TextDigest;
import io.instructembed.limits.TextLimits;
import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.model.Embedding;
import io.instructembed.model.EmbeddingService;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.SetOnce;
import org.opensearch.common.CheckedFunction;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.ParseField;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.InnerHitBuilder;
import org.opensearch.index.query.MatchNoneQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryCoordinatorContext;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.search.fetch.subphase.FetchSourceContext;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * {@code instruct_knn}: a k-NN query on a {@code knn_vector} field whose vector is the embedding of
 * {@code query_text}, rendered with the pack's query template and a task instruction (or a free
 * {@code instruction}). Every other option ({@code k}, {@code filter}, {@code min_score},
 * {@code max_distance}, {@code method_parameters}, ...) belongs to k-NN: it is kept as written and
 * handed to k-NN's own {@code knn} parser, so the two accept and check exactly the same things.
 * The rewrite embeds asynchronously (no search thread waits on inference) and becomes that
 * {@code knn} query; a cached query embedding rewrites at once.
 */
public final class InstructKnnQueryBuilder extends AbstractQueryBuilder<InstructKnnQueryBuilder> {
    public static final String NAME = "instruct_knn";
    static final ParseField QUERY_TEXT = new ParseField("query_text");
    static final ParseField TASK = new ParseField("task");
    static final ParseField INSTRUCTION = new ParseField("instruction");
    static final ParseField MODEL_ID = new ParseField("model_id");
    static final ParseField INNER_HITS = new ParseField("inner_hits");

    // Set once by the plugin at node start, as k-NN and neural-search do for their query builders:
    // queries are built by parsers that have no other way to reach node components.
    private static volatile EmbeddingService models;
    private static volatile QueryModelResolver resolver;

    public static void initialize(EmbeddingService modelService, QueryModelResolver modelResolver) {
        models = modelService;
        resolver = modelResolver;
    }

    private final String fieldName;
    private final String queryText;
    private final String task;
    private final String instruction;
    private final String modelId;
    private final Map<String, Object> knnOptions;
    /** Inner hits for a nested chunk field, as written; null: the best chunk's text and offsets. */
    private final Map<String, Object> innerHits;
    /** The vector, once the asynchronous embedding of the rewrite has finished; never serialised. */
    private final Supplier<float[]> pendingVector;
    /** Whether the field is a nested chunk field (found during the rewrite, with the vector). */
    private final boolean nestedChunks;

    public InstructKnnQueryBuilder(
        String fieldName,
        String queryText,
        String task,
        String instruction,
        String modelId,
        Map<String, Object> knnOptions,
        Map<String, Object> innerHits
    ) {
        this(fieldName, queryText, task, instruction, modelId, knnOptions, innerHits, null, false);
    }

    private InstructKnnQueryBuilder(
        String fieldName,
        String queryText,
        String task,
        String instruction,
        String modelId,
        Map<String, Object> knnOptions,
        Map<String, Object> innerHits,
        Supplier<float[]> pendingVector,
        boolean nestedChunks
    ) {
        this.fieldName = Objects.requireNonNull(fieldName);
        this.queryText = Objects.requireNonNull(queryText);
        this.task = task;
        this.instruction = instruction;
        this.modelId = modelId;
        this.knnOptions = new LinkedHashMap<>(knnOptions);
        this.innerHits = innerHits == null ? null : new LinkedHashMap<>(innerHits);
        this.pendingVector = pendingVector;
        this.nestedChunks = nestedChunks;
    }

    public InstructKnnQueryBuilder(StreamInput in) throws IOException {
        super(in);
        fieldName = in.readString();
        queryText = in.readString();
        task = in.readOptionalString();
        instruction = in.readOptionalString();
        modelId = in.readOptionalString();
        // copied as the other constructor does: an empty map reads back as another Map class, which
        // would travel on (to another node) with another type byte than it came with
        knnOptions = new LinkedHashMap<>(in.readMap());
        innerHits = in.readBoolean() ? new LinkedHashMap<>(in.readMap()) : null;
        pendingVector = null;
        nestedChunks = false;
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        if (pendingVector != null) {
            throw new IllegalStateException("[" + NAME + "] cannot be sent while its embedding is pending");
        }
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeString(fieldName);
        out.writeString(queryText);
        out.writeOptionalString(task);
        out.writeOptionalString(instruction);
        out.writeOptionalString(modelId);
        out.writeMap(knnOptions);
        out.writeBoolean(innerHits != null);
        if (innerHits != null) {
            out.writeMap(innerHits);
        }
    }

    public static InstructKnnQueryBuilder fromXContent(XContentParser parser) throws IOException {
        String fieldName = null;
        String queryText = null;
        String task = null;
        String instruction = null;
        String modelId = null;
        String queryName = null;
        float boost = DEFAULT_BOOST;
        Map<String, Object> options = new LinkedHashMap<>();
        Map<String, Object> innerHits = null;
        XContentParser.Token token;
        while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
            if (token != XContentParser.Token.FIELD_NAME) {
                throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] expects {\"<vector field>\": {...}}");
            }
            if (fieldName != null) {
                throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] takes one vector field, got [" + fieldName + "] and [" + parser.currentName() + "]");
            }
            fieldName = parser.currentName();
            if (parser.nextToken() != XContentParser.Token.START_OBJECT) {
                throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] field [" + fieldName + "] must hold an object with [query_text]");
            }
            while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
                String option = parser.currentName();
                token = parser.nextToken();
                if (QUERY_TEXT.match(option, parser.getDeprecationHandler())) {
                    queryText = OptionValues.string(parser, NAME, option);
                } else if (TASK.match(option, parser.getDeprecationHandler())) {
                    task = OptionValues.string(parser, NAME, option);
                } else if (INSTRUCTION.match(option, parser.getDeprecationHandler())) {
                    instruction = OptionValues.string(parser, NAME, option);
                } else if (MODEL_ID.match(option, parser.getDeprecationHandler())) {
                    modelId = OptionValues.string(parser, NAME, option);
                } else if (NAME_FIELD.match(option, parser.getDeprecationHandler())) {
                    queryName = OptionValues.string(parser, NAME, option);
                } else if (BOOST_FIELD.match(option, parser.getDeprecationHandler())) {
                    boost = OptionValues.number(parser, NAME, option);
                } else if (INNER_HITS.match(option, parser.getDeprecationHandler())) {
                    if (token != XContentParser.Token.START_OBJECT) {
                        throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [inner_hits] must be an object");
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> read = (Map<String, Object>) OptionValues.any(parser, NAME, option);
                    innerHits = read;
                    innerHitBuilder(fieldName, innerHits, parser.getXContentRegistry());  // a bad one is a 400 now
                } else if ("vector".equals(option)) {
                    throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] takes [query_text], not [vector]: use [knn] for raw vectors");
                } else {
                    options.put(option, OptionValues.any(parser, NAME, option));
                }
            }
        }
        if (fieldName == null) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] needs a vector field: {\"<field>\": {\"query_text\": ...}}");
        }
        if (queryText == null || TextDigest.blank(queryText)) {
            throw new ParsingException(
                parser.getTokenLocation(),
                "[" + NAME + "] [query_text] is required and must not be empty or blank (only white space or invisible characters)"
            );
        }
        if (task != null && instruction != null) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [task] and [instruction] are exclusive: give one");
        }
        InstructKnnQueryBuilder builder = new InstructKnnQueryBuilder(fieldName, queryText, task, instruction, modelId, options, innerHits);
        builder.queryName(queryName);
        builder.boost(boost);
        // Let k-NN check its own options now, with a stand-in vector, so mistakes are 400s at parse time.
        builder.knnQuery(new float[] { 0f }, parser.getXContentRegistry());
        return builder;
    }

    @Override
    protected void doXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        builder.startObject(fieldName);
        builder.field(QUERY_TEXT.getPreferredName(), queryText);
        if (task != null) {
            builder.field(TASK.getPreferredName(), task);
        }
        if (instruction != null) {
            builder.field(INSTRUCTION.getPreferredName(), instruction);
        }
        if (modelId != null) {
            builder.field(MODEL_ID.getPreferredName(), modelId);
        }
        for (Map.Entry<String, Object> option : knnOptions.entrySet()) {
            builder.field(option.getKey(), option.getValue());
        }
        if (innerHits != null) {
            builder.field(INNER_HITS.getPreferredName(), innerHits);
        }
        printBoostAndQueryName(builder);
        builder.endObject();
        builder.endObject();
    }

    @Override
    protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
        if (pendingVector != null) {
            float[] vector = pendingVector.get();
            return vector == null ? this : finalQuery(vector, nestedChunks, context.getXContentRegistry());
        }
        EmbeddingService service = Objects.requireNonNull(models, "instruct-embed is not initialised");
        QueryModelResolver modelResolver = Objects.requireNonNull(resolver, "instruct-embed is not initialised");
        TextLimits.current(modelResolver.clusterService().getClusterSettings()).checkText("[" + NAME + "] [query_text]", queryText);
        String[] searched = searchedIndices(context);  // resolved once: every check below reads these
        if (searched.length == 0) {
            return new MatchNoneQueryBuilder();  // a wildcard that matched nothing: no hits, as OpenSearch answers
        }
        InstructTextSpec textField = modelResolver.instructText(searched, fieldName);
        // a query on an instruct_text field runs on the sub-field that holds its vectors, with the field's model
        String field = textField == null ? fieldName : textField.target();
        String model = textField != null ? modelOf(textField) : modelId != null ? modelId : resolveModel(searched);
        if (model == null) {
            return new MatchNoneQueryBuilder();  // ignore_unmapped, and no searched index maps the field
        }
        ModelPack pack = service.usablePack(model);
        if (textField == null) {
            String otherModel = modelResolver.recordedOtherwise(searched, fieldName, model, pack.identity());
            if (otherModel != null) {
                throw new IllegalArgumentException(otherModel);
            }
        }
        boolean nested = checkField(searched, field, model, pack.manifest().dimensions());
        if (innerHits != null && nested == false) {
            throw new IllegalArgumentException(
                "[" + NAME + "] [inner_hits] applies to a nested field of chunks or texts (mapped as nested, with a [vector] knn_vector), not to ["
                    + field + "]"
            );
        }
        Embedding cached = service.cachedQuery(model, queryText, task, instruction);
        if (cached != null) {
            return on(field, model).finalQuery(cached.vector(), nested, context.getXContentRegistry());
        }
        SetOnce<float[]> vector = new SetOnce<>();
        // embedded by the files the field was just checked against, wherever they serve
        EmbeddingService.EmbedCall call = new EmbeddingService.EmbedCall(model, List.of(queryText), InputType.QUERY, task, instruction,
            pack.identity());
        context.registerAsyncAction(
            (client, listener) -> service.embed(call, ActionListener.wrap(embeddings -> {
                vector.set(embeddings.get(0).vector());
                listener.onResponse(null);
            }, listener::onFailure))
        );
        InstructKnnQueryBuilder pending = new InstructKnnQueryBuilder(
            field,
            queryText,
            task,
            instruction,
            model,
            knnOptions,
            innerHits,
            vector::get,
            nested
        );
        pending.queryName(queryName);
        pending.boost(boost);
        return pending;
    }

    /** This query on {@code field} with {@code model}: itself when neither changes. */
    private InstructKnnQueryBuilder on(String field, String model) {
        if (field.equals(fieldName) && model.equals(modelId)) {
            return this;
        }
        InstructKnnQueryBuilder moved = new InstructKnnQueryBuilder(field, queryText, task, instruction, model, knnOptions, innerHits);
        moved.queryName(queryName);
        moved.boost(boost);
        return moved;
    }

    /**
     * The query this one becomes once its vector is known: k-NN's {@code knn} on the field, or, for
     * a nested field of chunks, {@link InstructKnnNestedQueryBuilder} around {@code knn} on its
     * {@code vector}, which scores each document by its best chunk and returns that chunk as an
     * inner hit.
     */
    QueryBuilder finalQuery(float[] vector, boolean nested, NamedXContentRegistry registry) throws IOException {
        if (nested == false) {
            return knnQuery(vector, registry);
        }
        QueryBuilder knn = knnQuery(fieldName + "." + VectorFieldMappings.ARRAY_VECTOR, vector, DEFAULT_BOOST, null, registry);
        InstructKnnNestedQueryBuilder query = new InstructKnnNestedQueryBuilder(fieldName, knn, innerHitBuilder(fieldName, innerHits, registry), ignoreUnmapped());
        query.boost(boost);
        query.queryName(queryName);
        return query;
    }

    /**
     * The inner hits of a nested chunk query: as the user wrote them, or the best chunk without its
     * vector. Unnamed unless the user names them: the shard names them after the path, numbered
     * when several clauses search it ({@link InstructKnnNestedQueryBuilder}).
     */
    static InnerHitBuilder innerHitBuilder(String field, Map<String, Object> options, NamedXContentRegistry registry) throws IOException {
        if (options == null) {
            return new InnerHitBuilder().setSize(1)
                .setFetchSourceContext(new FetchSourceContext(true, null, new String[] { field + "." + VectorFieldMappings.ARRAY_VECTOR }));
        }
        try {
            return parseJson(JsonXContent.contentBuilder().map(options), registry, InnerHitBuilder::fromXContent);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[" + NAME + "] [inner_hits] " + e.getMessage(), e);
        }
    }

    /**
     * The indices this rewrite resolves models and fields in: the search's concrete indices (none
     * for a wildcard that matched nothing). Only a coordinating rewrite has them; anywhere else the
     * query was not part of a search request (an alias filter, a percolator's stored query) and
     * cannot be embedded there, so it is refused, at creation where OpenSearch validates it.
     */
    private static String[] searchedIndices(QueryRewriteContext context) {
        QueryCoordinatorContext coordinator = context.convertToCoordinatorContext();
        if (coordinator == null || coordinator.getSearchRequest() == null) {
            throw new IllegalArgumentException(
                "[" + NAME + "] runs only in a search request (query, post_filter, aggregations, rescore, _msearch, _explain, _validate): its "
                    + "query text is embedded while the search is coordinated, which never happens for an alias filter or a stored query. "
                    + "Store a [knn] query with a vector from _embed instead, or send [" + NAME + "] with each search"
            );
        }
        return resolver.concreteIndices(coordinator.getSearchRequest());
    }

    private String modelOf(InstructTextSpec field) {
        if (modelId != null && modelId.equals(field.modelId()) == false) {
            throw new IllegalArgumentException(
                "[" + NAME + "] [model_id] [" + modelId + "] differs from the model [" + field.modelId() + "] that embeds instruct_text field ["
                    + field.path() + "]; leave [model_id] out"
            );
        }
        String otherPack = WrittenBy.problem(field, models.pack(field.modelId()).orElse(null));
        if (otherPack != null) {
            throw new IllegalArgumentException("[" + NAME + "] " + otherPack);
        }
        return field.modelId();
    }

    private String resolveModel(String[] searched) {
        return resolver.resolve(resolver.state(), searched, fieldName, ignoreUnmapped());
    }

    /** k-NN's {@code ignore_unmapped}, which also lets an index that does not map the field go without a model. */
    private boolean ignoreUnmapped() {
        return "true".equals(String.valueOf(knnOptions.get("ignore_unmapped")));
    }

    /**
     * Checks the field in every searched index and tells whether it is a nested field of chunks (or
     * of an array's texts): mapped as {@code nested} with a {@code vector} knn_vector. A field
     * mapped with another dimension than the model's is a 400 naming both, before inference; so is
     * a field that is nested chunks in one index and a plain vector in another, and a field that
     * some searched indices do not map, unless {@code ignore_unmapped} asks for the others alone
     * (else a client that does not read {@code _shards.failed} would take partial results for all).
     * Reads each index's mapping from the cache kept per mapping version: no parsing per query.
     */
    private boolean checkField(String[] searched, String field, String model, int dimensions) {
        QueryModelResolver modelResolver = resolver;
        Metadata metadata = modelResolver.state().metadata();
        Map<String, Boolean> nestedByIndex = new TreeMap<>();
        TreeSet<String> unmapped = new TreeSet<>();
        for (String index : searched) {
            IndexMetadata indexMetadata = metadata.index(index);
            if (indexMetadata == null) {
                continue;
            }
            VectorFieldMappings mappings = modelResolver.vectorMappings(indexMetadata);
            boolean nested = mappings.isNestedVectors(field);
            String problem = mappings.check(field, nested, dimensions, model);
            if (problem != null) {
                throw new IllegalArgumentException("[" + NAME + "] index [" + index + "]: " + problem);
            }
            if (mappings.isMapped(field)) {
                nestedByIndex.put(index, nested);
            } else {
                unmapped.add(index);
            }
        }
        if (nestedByIndex.values().stream().distinct().count() > 1) {
            throw new IllegalArgumentException(
                "[" + NAME + "] field [" + field + "] is a nested field of chunks in some searched indices and a vector in others "
                    + nestedByIndex + ": search them separately"
            );
        }
        if (unmapped.isEmpty() == false && ignoreUnmapped() == false) {
            throw new IllegalArgumentException(
                "[" + NAME + "] field [" + (field.equals(fieldName) ? field + "]" : fieldName + "] (vectors [" + field + "])") + " is not mapped in " + unmapped
                    + (nestedByIndex.isEmpty() ? "" : ", searched together with " + nestedByIndex.keySet() + " that map it")
                    + ": set [ignore_unmapped] to true to search only the indices that map it, or leave the others out"
            );
        }
        return nestedByIndex.containsValue(true);
    }

    /** The k-NN plugin's own {@code knn} query for this vector, built by k-NN's parser. */
    QueryBuilder knnQuery(float[] vector, NamedXContentRegistry registry) throws IOException {
        return knnQuery(fieldName, vector, boost, queryName, registry);
    }

    private QueryBuilder knnQuery(String field, float[] vector, float knnBoost, String knnName, NamedXContentRegistry registry) throws IOException {
        XContentBuilder json = JsonXContent.contentBuilder();
        json.startObject().startObject("knn").startObject(field);
        json.array("vector", vector);
        for (Map.Entry<String, Object> option : knnOptions.entrySet()) {
            json.field(option.getKey(), option.getValue());
        }
        json.field(BOOST_FIELD.getPreferredName(), knnBoost);
        if (knnName != null) {
            json.field(NAME_FIELD.getPreferredName(), knnName);
        }
        json.endObject().endObject().endObject();
        return parseJson(json, registry, parser -> {
            parser.nextToken();
            return parseInnerQueryBuilder(parser);
        });
    }

    /** Hands JSON we built to another component's own parser (k-NN's query, OpenSearch's inner hits), so both check it as they always do. */
    private static <T> T parseJson(XContentBuilder json, NamedXContentRegistry registry, CheckedFunction<XContentParser, T, IOException> parse)
        throws IOException {
        try (
            XContentParser parser = JsonXContent.jsonXContent.createParser(
                registry,
                DeprecationHandler.THROW_UNSUPPORTED_OPERATION,
                BytesReference.bytes(json).streamInput()
            )
        ) {
            return parse.apply(parser);
        }
    }

    @Override
    protected Query doToQuery(QueryShardContext context) {
        // Rewriting always replaces this query by a knn query first.
        throw new IllegalStateException("[" + NAME + "] must be rewritten into a [knn] query before it is run");
    }

    @Override
    protected boolean doEquals(InstructKnnQueryBuilder other) {
        return fieldName.equals(other.fieldName)
            && queryText.equals(other.queryText)
            && Objects.equals(task, other.task)
            && Objects.equals(instruction, other.instruction)
            && Objects.equals(modelId, other.modelId)
            && knnOptions.equals(other.knnOptions)
            && Objects.equals(innerHits, other.innerHits)
            && Objects.equals(pendingVector, other.pendingVector)
            && nestedChunks == other.nestedChunks;
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(fieldName, queryText, task, instruction, modelId, knnOptions, innerHits, pendingVector, nestedChunks);
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    public String fieldName() {
        return fieldName;
    }
}
