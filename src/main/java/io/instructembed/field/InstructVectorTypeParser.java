package io.instructembed.field;

import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;

import java.util.Map;

/**
 * Parses {@code instruct_vector}, the type that {@link InstructTextMappingTransformer} gives the
 * vector sub-field of an {@code instruct_text} field, into k-NN's own {@code knn_vector} (the
 * stored mapping then reads {@code knn_vector}). The transformer cannot see the index's settings;
 * this parser can, and refuses an index that is not a k-NN index with a 400 that says what to add:
 * outside one, k-NN builds no search structure and its {@code knn} query refuses the field, so the
 * field could be written but never searched.
 */
public final class InstructVectorTypeParser implements Mapper.TypeParser {
    public static final String CONTENT_TYPE = "instruct_vector";
    static final String KNN_VECTOR = "knn_vector";

    @Override
    public Mapper.Builder<?> parse(String name, Map<String, Object> node, ParserContext parserContext) throws MapperParsingException {
        Mapper.TypeParser knn = parserContext.typeParser(KNN_VECTOR);
        if (knn == null) {
            throw new MapperParsingException("[" + CONTENT_TYPE + "] needs the k-NN plugin's [" + KNN_VECTOR + "] type");
        }
        if (parserContext.getSettings().getAsBoolean("index.knn", false) == false) {
            throw new MapperParsingException(
                "instruct_text fields keep their vectors in knn_vector fields, which need a k-NN index: create the index with "
                    + "\"settings\": {\"index.knn\": true}"
            );
        }
        // k-NN's parser removes what it reads; what it leaves in the node is reported by the caller
        return knn.parse(name, node, parserContext);
    }
}
