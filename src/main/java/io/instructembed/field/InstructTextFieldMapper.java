package io.instructembed.field;

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
        // each parameter is checked by the spec parser and kept as written, so the mapping reads back as the user wrote it
        private final Parameter<String> modelId = Parameter.stringParam(InstructTextSpecParser.MODEL_ID, false, m -> toType(m).modelId, null)
            .setValidator(InstructTextSpecParser::modelId);
        private final Parameter<String> task = Parameter.stringParam(InstructTextSpecParser.TASK, false, m -> toType(m).task, null).acceptsNull();
        private final Parameter<Object> chunking = new Parameter<>(
            InstructTextSpecParser.CHUNKING,
            false,
            () -> Boolean.TRUE,
            (n, c, o) -> InstructTextSpecParser.writtenChunking(o),
            m -> toType(m).chunking
        );
        private final Parameter<Map<String, Object>> vector = new Parameter<>(
            InstructTextSpecParser.VECTOR,
            false,
            Map::of,
            (n, c, o) -> InstructTextSpecParser.writtenVector(o),
            m -> toType(m).vector
        );
        private final Parameter<Boolean> skipExisting = new Parameter<>(
            InstructTextSpecParser.SKIP_EXISTING,
            true,
            () -> InstructTextSpecParser.DEFAULT_SKIP_EXISTING,
            (n, c, o) -> InstructTextSpecParser.skipExisting(o),
            m -> toType(m).skipExisting
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

    /** The field as the rest of the plugin reads it from a mapping source (without the pack its sibling records). */
    public InstructTextSpec field() {
        Map<String, Object> definition = new LinkedHashMap<>();
        definition.put(InstructTextSpecParser.MODEL_ID, modelId);
        definition.put(InstructTextSpecParser.TASK, task);
        definition.put(InstructTextSpecParser.CHUNKING, chunking);
        definition.put(InstructTextSpecParser.VECTOR, vector);
        definition.put(InstructTextSpecParser.SKIP_EXISTING, skipExisting);
        return InstructTextSpecParser.parse(name(), definition);
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
        return InstructTextSpec.CONTENT_TYPE;
    }

    @Override
    public TextFieldMapper.TextFieldType fieldType() {
        return (TextFieldMapper.TextFieldType) super.fieldType();
    }
}
