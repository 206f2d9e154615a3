package io.instructembed.query;

import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.model.Embedding;
import io.instructembed.model.ModelService;
import io.instructembed.pack.InputType;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.SetOnce;
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
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryCoordinatorContext;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

    // Set once by the plugin at node start, as k-NN and neural-search do for their query builders:
    // queries are built by parsers that have no other way to reach node components.
    private static volatile ModelService models;
    private static volatile QueryModelResolver resolver;

    public static void initialize(ModelService modelService, QueryModelResolver modelResolver) {
        models = modelService;
        resolver = modelResolver;
    }

    private final String fieldName;
    private final String queryText;
    private final String task;
    private final String instruction;
    private final String modelId;
    private final Map<String, Object> knnOptions;
    /** The vector, once the asynchronous embedding of the rewrite has finished; never serialised. */
    private final Supplier<float[]> pendingVector;

    public InstructKnnQueryBuilder(String fieldName, String queryText, String task, String instruction, String modelId, Map<String, Object> knnOptions) {
        this(fieldName, queryText, task, instruction, modelId, knnOptions, null);
    }

    private InstructKnnQueryBuilder(
        String fieldName,
        String queryText,
        String task,
        String instruction,
        String modelId,
        Map<String, Object> knnOptions,
        Supplier<float[]> pendingVector
    ) {
        this.fieldName = Objects.requireNonNull(fieldName);
        this.queryText = Objects.requireNonNull(queryText);
        this.task = task;
        this.instruction = instruction;
        this.modelId = modelId;
        this.knnOptions = new LinkedHashMap<>(knnOptions);
        this.pendingVector = pendingVector;
    }

    public InstructKnnQueryBuilder(StreamInput in) throws IOException {
        super(in);
        fieldName = in.readString();
        queryText = in.readString();
        task = in.readOptionalString();
        instruction = in.readOptionalString();
        modelId = in.readOptionalString();
        knnOptions = in.readMap();
        pendingVector = null;
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        if (pendingVector != null) {
            throw new IllegalStateException("[" + NAME + "] cannot be sent while its embedding is pending");
        }
        out.writeString(fieldName);
        out.writeString(queryText);
        out.writeOptionalString(task);
        out.writeOptionalString(instruction);
        out.writeOptionalString(modelId);
        out.writeMap(knnOptions);
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
                    queryText = parser.text();
                } else if (TASK.match(option, parser.getDeprecationHandler())) {
                    task = parser.text();
                } else if (INSTRUCTION.match(option, parser.getDeprecationHandler())) {
                    instruction = parser.text();
                } else if (MODEL_ID.match(option, parser.getDeprecationHandler())) {
                    modelId = parser.text();
                } else if (NAME_FIELD.match(option, parser.getDeprecationHandler())) {
                    queryName = parser.text();
                } else if (BOOST_FIELD.match(option, parser.getDeprecationHandler())) {
                    boost = parser.floatValue();
                } else if ("vector".equals(option)) {
                    throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] takes [query_text], not [vector]: use [knn] for raw vectors");
                } else if (token == XContentParser.Token.START_OBJECT) {
                    options.put(option, parser.mapOrdered());
                } else if (token == XContentParser.Token.START_ARRAY) {
                    options.put(option, parser.listOrderedMap());
                } else {
                    options.put(option, parser.objectText());
                }
            }
        }
        if (fieldName == null) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] needs a vector field: {\"<field>\": {\"query_text\": ...}}");
        }
        if (queryText == null || queryText.isBlank()) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [query_text] is required and must not be empty");
        }
        if (task != null && instruction != null) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [task] and [instruction] are exclusive: give one");
        }
        InstructKnnQueryBuilder builder = new InstructKnnQueryBuilder(fieldName, queryText, task, instruction, modelId, options);
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
        printBoostAndQueryName(builder);
        builder.endObject();
        builder.endObject();
    }

    @Override
    protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
        if (pendingVector != null) {
            float[] vector = pendingVector.get();
            return vector == null ? this : knnQuery(vector, context.getXContentRegistry());
        }
        ModelService service = Objects.requireNonNull(models, "instruct-embed is not initialised");
        String model = modelId != null ? modelId : resolveModel(context);
        checkFieldDimensions(context, model, service.usablePack(model).manifest().dimensions());
        Embedding cached = service.cachedQuery(model, queryText, task, instruction);
        if (cached != null) {
            return knnQuery(cached.vector(), context.getXContentRegistry());
        }
        SetOnce<float[]> vector = new SetOnce<>();
        ModelService.EmbedCall call = new ModelService.EmbedCall(model, List.of(queryText), InputType.QUERY, task, instruction);
        context.registerAsyncAction(
            (client, listener) -> service.embed(call, ActionListener.wrap(embeddings -> {
                vector.set(embeddings.get(0).vector());
                listener.onResponse(null);
            }, listener::onFailure))
        );
        InstructKnnQueryBuilder pending = new InstructKnnQueryBuilder(fieldName, queryText, task, instruction, model, knnOptions, vector::get);
        pending.queryName(queryName);
        pending.boost(boost);
        return pending;
    }

    private String resolveModel(QueryRewriteContext context) {
        QueryModelResolver modelResolver = Objects.requireNonNull(resolver, "instruct-embed is not initialised");
        QueryCoordinatorContext coordinator = context.convertToCoordinatorContext();
        if (coordinator != null && coordinator.getSearchRequest() != null) {
            return QueryModelResolver.resolve(modelResolver.state(), modelResolver.concreteIndices(coordinator.getSearchRequest()), fieldName);
        }
        QueryShardContext shard = context.convertToShardContext();
        if (shard != null) {
            return QueryModelResolver.resolve(modelResolver.state(), new String[] { shard.index().getName() }, fieldName);
        }
        throw new IllegalArgumentException("[" + NAME + "] [model_id] is required here: no index to resolve it from");
    }

    /** A field mapped with another dimension than the model's is a 400 naming both, before inference. */
    private void checkFieldDimensions(QueryRewriteContext context, String model, int dimensions) {
        QueryModelResolver modelResolver = resolver;
        QueryCoordinatorContext coordinator = context.convertToCoordinatorContext();
        if (modelResolver == null || coordinator == null || coordinator.getSearchRequest() == null) {
            return;  // on shards, k-NN itself checks the vector against the field
        }
        for (String index : modelResolver.concreteIndices(coordinator.getSearchRequest())) {
            String problem = VectorFieldMappings.of(modelResolver.clusterService(), index).check(fieldName, false, dimensions, model);
            if (problem != null) {
                throw new IllegalArgumentException("[" + NAME + "] index [" + index + "]: " + problem);
            }
        }
    }

    /** The k-NN plugin's own {@code knn} query for this vector, built by k-NN's parser. */
    QueryBuilder knnQuery(float[] vector, NamedXContentRegistry registry) throws IOException {
        XContentBuilder json = JsonXContent.contentBuilder();
        json.startObject().startObject("knn").startObject(fieldName);
        json.array("vector", vector);
        for (Map.Entry<String, Object> option : knnOptions.entrySet()) {
            json.field(option.getKey(), option.getValue());
        }
        json.field(BOOST_FIELD.getPreferredName(), boost);
        if (queryName != null) {
            json.field(NAME_FIELD.getPreferredName(), queryName);
        }
        json.endObject().endObject().endObject();
        try (
            XContentParser parser = JsonXContent.jsonXContent.createParser(
                registry,
                DeprecationHandler.THROW_UNSUPPORTED_OPERATION,
                BytesReference.bytes(json).streamInput()
            )
        ) {
            parser.nextToken();
            return parseInnerQueryBuilder(parser);
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
            && Objects.equals(pendingVector, other.pendingVector);
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(fieldName, queryText, task, instruction, modelId, knnOptions, pendingVector);
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    public String fieldName() {
        return fieldName;
    }
}
