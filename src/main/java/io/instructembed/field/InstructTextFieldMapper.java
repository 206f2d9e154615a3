package io.instructembed.field;

import io.instructembed.chunking.ChunkingOptions;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.index.IndexOptions;
import org.opensearch.index.analysis.IndexAnalyzers;
import org.opensearch.index.mapper.FieldMapper;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MappingLookup;
import org.opensearch.index.mapper.ParametrizedFieldMapper;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.TextFieldMapper;
import org.opensearch.index.mapper.TextParams;
import org.opensearch.index.mapper.TextSearchInfo;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Field type {@code instruct_text}: a text field (analysed and searchable with {@code match} like
 * {@code text}) that also declares how it is embedded: {@code model_id}, an optional symmetric
 * {@code task}, {@code chunking} (on by default), k-NN {@code vector} options and
 * {@code skip_existing} (on by default). The mapper itself only indexes the text; the vectors live
 * in the sibling object that {@link InstructTextMappingTransformer} adds to the mapping and that
 * {@code InstructTextProcessor} fills on every write. This mapper never consults model packs: a
 * mapping must stay readable on a node that lacks a pack (the pack is checked when the mapping is
 * created, and when documents are written).
 */
public final class InstructTextFieldMapper extends ParametrizedFieldMapper {
    static final Set<String> VECTOR_OPTIONS = Set.of("space_type", "method", "encoder");

    private static final TypeParser DECLARED = new TypeParser((name, context) -> new Builder(name, context.getIndexAnalyzers()));

    /** Parses declared fields; a field that a dynamic template maps while a document is parsed fails that document (400). */
    public static final Mapper.TypeParser PARSER = (name, node, context) -> {
        if (InstructTextPlacement.fromDocument()) {
            throw InstructTextPlacement.dynamicTemplateField(name);
        }
        return DECLARED.parse(name, node, context);
    };

    private static InstructTextFieldMapper toType(FieldMapper in) {
        return (InstructTextFieldMapper) in;
    }

    /** Builds the mapper; parameters that decide the vectors cannot change once set, like a knn_vector's dimension. */
    public static final class Builder extends ParametrizedFieldMapper.Builder {
        private final Parameter<String> modelId = Parameter.stringParam(InstructTextFields.MODEL_ID, false, m -> toType(m).modelId, null)
            .setValidator(v -> {
                if (v == null || v.isBlank()) {
                    throw new IllegalArgumentException("[" + InstructTextFields.MODEL_ID + "] is required for a field of type [instruct_text]");
                }
            });
        private final Parameter<String> task = Parameter.stringParam(InstructTextFields.TASK, false, m -> toType(m).task, null).acceptsNull();
        private final Parameter<Object> chunking = new Parameter<>(
            InstructTextFields.CHUNKING,
            false,
            () -> Boolean.TRUE,
            (n, c, o) -> parseChunking(o),
            m -> toType(m).chunking
        );
        private final Parameter<Map<String, Object>> vector = new Parameter<>(
            InstructTextFields.VECTOR,
            false,
            Map::of,
            (n, c, o) -> parseVector(o),
            m -> toType(m).vector
        );
        private final Parameter<Boolean> skipExisting = Parameter.boolParam(
            InstructTextFields.SKIP_EXISTING,
            true,
            m -> toType(m).skipExisting,
            true
        );
        private final Parameter<Boolean> index = Parameter.indexParam(m -> toType(m).indexed, true);
        private final Parameter<Boolean> store = Parameter.storeParam(m -> toType(m).stored, false);
        private final TextParams.Analyzers analyzers;
        private final Parameter<Map<String, String>> meta = Parameter.metaParam();

        public Builder(String name, IndexAnalyzers indexAnalyzers) {
            super(name);
            this.analyzers = new TextParams.Analyzers(indexAnalyzers);
        }

        @Override
        protected List<Parameter<?>> getParameters() {
            return List.of(
                modelId,
                task,
                chunking,
                vector,
                skipExisting,
                index,
                store,
                analyzers.indexAnalyzer,
                analyzers.searchAnalyzer,
                analyzers.searchQuoteAnalyzer,
                meta
            );
        }

        @Override
        public InstructTextFieldMapper build(BuilderContext context) {
            FieldType fieldType = new FieldType();
            fieldType.setTokenized(true);
            fieldType.setStored(store.getValue());
            fieldType.setIndexOptions(index.getValue() ? IndexOptions.DOCS_AND_FREQS_AND_POSITIONS : IndexOptions.NONE);
            fieldType.freeze();
            TextSearchInfo searchInfo = new TextSearchInfo(fieldType, null, analyzers.getSearchAnalyzer(), analyzers.getSearchQuoteAnalyzer());
            TextFieldMapper.TextFieldType mappedType = new TextFieldMapper.TextFieldType(
                buildFullName(context),
                index.getValue(),
                store.getValue(),
                searchInfo,
                meta.getValue()
            );
            mappedType.setIndexAnalyzer(analyzers.getIndexAnalyzer());
            return new InstructTextFieldMapper(name, fieldType, mappedType, multiFieldsBuilder.build(this, context), copyTo.build(), this);
        }
    }

    /** {@code true} (the default options), {@code false} (off), or an object of chunking options. */
    static Object parseChunking(Object value) {
        if (value instanceof Boolean || "true".equals(value) || "false".equals(value)) {
            return Boolean.valueOf(value.toString());
        }
        if (value instanceof Map<?, ?> map) {
            return knownOptions(InstructTextFields.CHUNKING, map, ChunkingOptions.KEYS, "the options are [method, max_tokens, overlap_tokens]");
        }
        throw new IllegalArgumentException("[chunking] must be true, false or an object of chunking options, got [" + value + "]");
    }

    /** The k-NN options of the vector sub-field; their values are checked by k-NN when the sub-field is mapped. */
    static Map<String, Object> parseVector(Object value) {
        if (value instanceof Map<?, ?> map) {
            return knownOptions(
                InstructTextFields.VECTOR,
                map,
                VECTOR_OPTIONS,
                "the options are [space_type, method, encoder] (the dimension comes from the model)"
            );
        }
        throw new IllegalArgumentException("[vector] must be an object of k-NN options (space_type, method, encoder), got [" + value + "]");
    }

    /** The object's entries, or a 400 naming the parameter and the first option it does not have. */
    private static Map<String, Object> knownOptions(String parameter, Map<?, ?> map, Set<String> known, String listing) {
        Map<String, Object> options = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (known.contains(String.valueOf(entry.getKey())) == false) {
                throw new IllegalArgumentException("[" + parameter + "] has no option [" + entry.getKey() + "]; " + listing);
            }
            options.put(String.valueOf(entry.getKey()), entry.getValue());
        }
        return options;
    }

    private final FieldType fieldType;
    private final String modelId;
    private final String task;
    private final Object chunking;
    private final Map<String, Object> vector;
    private final boolean skipExisting;
    private final boolean indexed;
    private final boolean stored;
    private final IndexAnalyzers indexAnalyzers;

    private InstructTextFieldMapper(
        String simpleName,
        FieldType fieldType,
        TextFieldMapper.TextFieldType mappedFieldType,
        MultiFields multiFields,
        CopyTo copyTo,
        Builder builder
    ) {
        super(simpleName, mappedFieldType, multiFields, copyTo);
        this.fieldType = fieldType;
        this.modelId = builder.modelId.getValue();
        this.task = builder.task.getValue();
        this.chunking = builder.chunking.getValue();
        this.vector = builder.vector.getValue();
        this.skipExisting = builder.skipExisting.getValue();
        this.indexed = builder.index.getValue();
        this.stored = builder.store.getValue();
        this.indexAnalyzers = builder.analyzers.indexAnalyzers;
    }

    public String modelId() {
        return modelId;
    }

    /** Whether the field is chunked (its vectors are nested chunks) rather than embedded whole. */
    public boolean chunked() {
        return Boolean.FALSE.equals(chunking) == false;
    }

    /** The field as the rest of the plugin reads it from a mapping source. */
    public InstructTextField field() {
        Map<String, Object> definition = new LinkedHashMap<>();
        definition.put(InstructTextFields.MODEL_ID, modelId);
        definition.put(InstructTextFields.TASK, task);
        definition.put(InstructTextFields.CHUNKING, chunking);
        definition.put(InstructTextFields.VECTOR, vector);
        definition.put(InstructTextFields.SKIP_EXISTING, skipExisting);
        return InstructTextFields.read(name(), definition);
    }

    @Override
    public ParametrizedFieldMapper.Builder getMergeBuilder() {
        return new Builder(simpleName(), indexAnalyzers).init(this);
    }

    @Override
    protected void parseCreateField(ParseContext context) throws IOException {
        String value = context.externalValueSet() ? context.externalValue().toString() : context.parser().textOrNull();
        if (value == null || (indexed == false && stored == false)) {
            return;
        }
        context.doc().add(new Field(fieldType().name(), value, fieldType));
    }

    /** A field whose text does not come from the source under its own name would never be embedded: refused. */
    @Override
    protected void doValidate(MappingLookup mappers) {
        InstructTextPlacement.check(name(), mappers);
    }

    @Override
    protected String contentType() {
        return InstructTextField.CONTENT_TYPE;
    }

    @Override
    public TextFieldMapper.TextFieldType fieldType() {
        return (TextFieldMapper.TextFieldType) super.fieldType();
    }
}
