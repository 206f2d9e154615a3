package io.instructembed.field;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The k-NN method of an {@code instruct_text} field's vector sub-field, as
 * {@link InstructTextSpecParser} resolves the field's {@code vector} options: defaults filled in,
 * {@code vector.space_type} and {@code vector.encoder} folded into the method. The values are
 * k-NN's to check when the sub-field is mapped (and the engine, whether this node can load it,
 * the transformer's); only their shapes are checked here.
 *
 * @param name       the method ({@code hnsw} unless given)
 * @param engine     the engine ({@code lucene} unless given)
 * @param spaceType  the similarity ({@code cosinesimil} unless given)
 * @param parameters the method's parameters (k-NN's, per engine), with the encoder; empty when none
 */
public record VectorOptions(String name, String engine, String spaceType, Map<String, Object> parameters) {
    public VectorOptions {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** The {@code method} object of the knn_vector mapping. */
    Map<String, Object> method() {
        Map<String, Object> method = new LinkedHashMap<>();
        method.put(InstructTextSpecParser.METHOD_NAME, name);
        method.put(InstructTextSpecParser.ENGINE, engine);
        method.put(InstructTextSpecParser.SPACE_TYPE, spaceType);
        if (parameters.isEmpty() == false) {
            method.put(InstructTextSpecParser.PARAMETERS, new LinkedHashMap<>(parameters));
        }
        return method;
    }
}
