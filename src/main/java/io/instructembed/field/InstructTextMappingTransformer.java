package io.instructembed.field;

import io.instructembed.ingest.InstructTextProcessorFactory;
import io.instructembed.mapping.KnnNativeLibraries;
import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import org.opensearch.common.logging.HeaderWarning;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MappingTransformer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Completes every mapping that declares {@code instruct_text} fields (index creation, mapping
 * updates, index templates): next to each field {@code body} it adds the object
 * {@code body_instruct} that holds the vectors, shaped from the model pack (the dimension comes
 * from the pack, the user never writes it): nested {@code chunks} of {@code {text, offsets, vector}}
 * when the field is chunked, else one {@code vector}, plus the fingerprint that
 * {@code skip_existing} compares. The field's configuration is checked here, so that an unknown
 * model or task, bad chunking or vector options are a 400 naming the parameter when the mapping is
 * written rather than failures of every document later. So are dynamic templates that map
 * {@code instruct_text} (a field made from a template gets no vector sub-fields) and a native k-NN
 * engine that this node's k-NN cannot load (see {@link KnnNativeLibraries}).
 */
public final class InstructTextMappingTransformer implements MappingTransformer {
    static final String DEFAULT_ENGINE = "lucene";
    static final String DEFAULT_METHOD = "hnsw";
    static final String DEFAULT_SPACE = "cosinesimil";

    private final Supplier<PackRegistry> packs;
    private final Supplier<InstructTextProcessorFactory> embedders;
    private final KnnNativeLibraries knnLibraries;

    /** Suppliers: transformers are collected before the plugin's components exist. */
    public InstructTextMappingTransformer(
        Supplier<PackRegistry> packs,
        Supplier<InstructTextProcessorFactory> embedders,
        KnnNativeLibraries knnLibraries
    ) {
        this.packs = packs;
        this.embedders = embedders;
        this.knnLibraries = knnLibraries;
    }

    /**
     * Refusals rarely get here: OpenSearch logs a transformer's failure at ERROR, so
     * {@link InstructTextMappingFilter} refuses the same mappings before the transformers run.
     */
    @Override
    public void transform(Map<String, Object> mapping, TransformContext context, ActionListener<Void> listener) {
        try {
            apply(mapping);
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        listener.onResponse(null);
    }

    /**
     * Completes the mapping in place, or refuses it with a {@link MapperParsingException} (400)
     * that names the field and the reason. Reads no file: packs and k-NN's libraries were looked
     * at when the node started.
     */
    void apply(Map<String, Object> mapping) {
        for (String template : InstructTextFields.dynamicTemplates(mapping)) {
            throw new MapperParsingException(
                "dynamic template [" + template + "] maps fields as [" + InstructTextField.CONTENT_TYPE + "]: a field mapped from a "
                    + "dynamic template gets no vector sub-fields, so its documents would never be embedded; declare each "
                    + InstructTextField.CONTENT_TYPE + " field by name under \"properties\""
            );
        }
        for (InstructTextFields.Found found : InstructTextFields.find(mapping)) {
            addVectorFields(found);
        }
    }

    private void addVectorFields(InstructTextFields.Found found) {
        InstructTextField field = found.field();
        String where = "field [" + field.path() + "] of type [" + InstructTextField.CONTENT_TYPE + "]: ";
        if (found.insideNested()) {
            throw new MapperParsingException(where + "cannot be declared inside a [nested] field; declare it on the document or in an object");
        }
        if (field.modelId() == null || field.modelId().isBlank()) {
            throw new MapperParsingException(where + "[model_id] is required");
        }
        Object existing = found.properties().get(found.name() + InstructTextField.SIBLING_SUFFIX);
        if (existing != null && isReadBack(existing, field) == false) {
            throw new MapperParsingException(
                where + "field [" + field.siblingPath() + "] is reserved for its vectors; rename the other field"
            );
        }
        Object engine = method(field.vector(), where).get("engine");
        String missing = knnLibraries.missingLibrary(engine == null ? null : engine.toString());
        if (missing != null) {
            throw new MapperParsingException(
                where + "[vector.method.engine] [" + engine + "] cannot run on this node: its k-NN plugin has no native library ["
                    + System.mapLibraryName(missing) + "] on the library path, and the first write would stop the node; use "
                    + "\"engine\": \"" + DEFAULT_ENGINE + "\" (the default), or install a k-NN build with its native libraries"
            );
        }
        ModelPack pack = packOf(field, where);
        int dimensions = pack.manifest().dimensions();
        try {
            // what the system ingest processor will build for this field: unknown task, bad chunking are refused here
            embedders.get().embedderFor(field.withRecordedPack(null));  // the configuration; which files wrote the vectors is checked on writes
        } catch (RuntimeException e) {
            throw new MapperParsingException(where + e.getMessage());
        }
        Map<String, String> record = WrittenBy.recordedIn(existing, field);
        if (record == null) {
            record = WrittenBy.of(pack);
        }
        found.properties().put(found.name() + InstructTextField.SIBLING_SUFFIX, siblingMapping(field, dimensions, record, where));
    }

    /**
     * Whether an existing sibling is one this transformer made, sent back (a mapping read with GET
     * and put again): it is replaced by a fresh one, so that a real change (another model, hence
     * another dimension) still meets the usual merge conflict of the existing index.
     */
    private static boolean isReadBack(Object existing, InstructTextField field) {
        if (existing instanceof Map<?, ?> map && map.get("properties") instanceof Map<?, ?> properties) {
            String vectors = field.vectorsName();
            return properties.keySet().equals(java.util.Set.of(vectors, vectors + "_fingerprint"));
        }
        return false;
    }

    private ModelPack packOf(InstructTextField field, String where) {
        PackRegistry registry = packs.get();
        ModelPack pack = registry.get(field.modelId()).orElse(null);
        if (pack == null) {
            throw new MapperParsingException(where + "[model_id] model [" + field.modelId() + "] not found; models are " + registry.ids());
        }
        if (pack.manifest() == null || pack.state() == PackState.INVALID) {
            throw new MapperParsingException(where + "[model_id] model [" + field.modelId() + "] has an invalid pack: " + pack.problems());
        }
        if (pack.state() == PackState.WEIGHTS_MISSING) {
            // accepted: the weights may be installed on the data nodes after the index exists; writes fail until then
            HeaderWarning.addWarning(
                "instruct_text field [{}]: model [{}] has no weights installed on this node ({}); documents fail until they are installed",
                field.path(),
                field.modelId(),
                pack.missingFiles()
            );
        }
        return pack;
    }

    /**
     * The sibling object, built only from the pack and the field's own parameters. The fingerprint
     * sub-field's {@code meta} records which pack writes the vectors ({@link WrittenBy}); it also
     * marks the field as one whose writes the shard checks (fields mapped by older versions carry
     * no record, and their documents are not checked).
     */
    static Map<String, Object> siblingMapping(InstructTextField field, int dimensions, Map<String, String> writtenBy, String where) {
        Map<String, Object> vector = new LinkedHashMap<>();
        vector.put("type", InstructVectorTypeParser.CONTENT_TYPE);
        vector.put("dimension", dimensions);
        vector.put("method", method(field.vector(), where));
        Map<String, Object> fingerprint = new LinkedHashMap<>();
        fingerprint.put("type", "keyword");
        fingerprint.put("index", false);
        fingerprint.put("doc_values", false);
        fingerprint.put("meta", writtenBy);
        Map<String, Object> properties = new LinkedHashMap<>();
        if (field.chunked()) {
            Map<String, Object> chunkProperties = new LinkedHashMap<>();
            chunkProperties.put(VectorFieldMappings.ARRAY_TEXT, Map.of("type", "text", "index", false));
            chunkProperties.put(VectorFieldMappings.CHUNK_OFFSETS, Map.of("type", "integer", "index", false, "doc_values", false));
            chunkProperties.put(VectorFieldMappings.ARRAY_VECTOR, vector);
            Map<String, Object> chunks = new LinkedHashMap<>();
            chunks.put("type", "nested");
            chunks.put("properties", chunkProperties);
            properties.put(InstructTextField.CHUNKS, chunks);
            properties.put(InstructTextField.CHUNKS + "_fingerprint", fingerprint);
        } else {
            properties.put(VectorFieldMappings.ARRAY_VECTOR, vector);
            properties.put(VectorFieldMappings.ARRAY_VECTOR + "_fingerprint", fingerprint);
        }
        Map<String, Object> sibling = new LinkedHashMap<>();
        sibling.put("properties", properties);
        return sibling;
    }

    /**
     * The k-NN method of the vector sub-field: {@code hnsw} on the {@code lucene} engine (the one
     * engine every k-NN build has) with cosine similarity unless the field's {@code vector} options
     * say otherwise; {@code encoder} goes into the method's parameters. k-NN checks the values.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> method(Map<String, Object> options, String where) {
        Map<String, Object> method = new LinkedHashMap<>();
        Object given = options.get("method");
        if (given != null && given instanceof Map<?, ?> == false) {
            throw new MapperParsingException(where + "[vector.method] must be an object (name, engine, parameters), got [" + given + "]");
        }
        if (given != null) {
            method.putAll((Map<String, Object>) given);
        }
        method.putIfAbsent("name", DEFAULT_METHOD);
        method.putIfAbsent("engine", DEFAULT_ENGINE);
        Object space = options.get("space_type");
        if (space != null && method.containsKey("space_type") && space.equals(method.get("space_type")) == false) {
            throw new MapperParsingException(
                where + "[vector.space_type] [" + space + "] and [vector.method.space_type] [" + method.get("space_type") + "] differ; give one"
            );
        }
        method.putIfAbsent("space_type", space == null ? DEFAULT_SPACE : space);
        Object encoder = options.get("encoder");
        if (encoder != null) {
            Object parameters = method.get("parameters");
            if (parameters != null && parameters instanceof Map<?, ?> == false) {
                throw new MapperParsingException(where + "[vector.method.parameters] must be an object, got [" + parameters + "]");
            }
            Map<String, Object> merged = new LinkedHashMap<>(parameters == null ? Map.of() : (Map<String, Object>) parameters);
            if (merged.containsKey("encoder") && merged.get("encoder").equals(encoder) == false) {
                throw new MapperParsingException(where + "[vector.encoder] and [vector.method.parameters.encoder] differ; give one");
            }
            merged.put("encoder", encoder);
            method.put("parameters", merged);
        }
        return method;
    }
}
