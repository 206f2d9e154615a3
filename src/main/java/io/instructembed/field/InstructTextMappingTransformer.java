package io.instructembed.field;

import io.instructembed.mapping.KnnNativeLibraries;
import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.model.EmbeddableCheck;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.pack.PackState;
import org.opensearch.common.logging.HeaderWarning;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MappingTransformer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
    private final Supplier<PackRegistry> packs;
    private final EmbeddableCheck embeddable;
    private final KnnNativeLibraries knnLibraries;

    /**
     * @param packs      a supplier: transformers are collected before the plugin's components exist
     * @param embeddable what the field's processor will be checked for (task, chunking), checked here already
     */
    public InstructTextMappingTransformer(Supplier<PackRegistry> packs, EmbeddableCheck embeddable, KnnNativeLibraries knnLibraries) {
        this.packs = packs;
        this.embeddable = embeddable;
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
                "dynamic template [" + template + "] maps fields as [" + InstructTextSpec.CONTENT_TYPE + "]: a field mapped from a "
                    + "dynamic template gets no vector sub-fields, so its documents would never be embedded; declare each "
                    + InstructTextSpec.CONTENT_TYPE + " field by name under \"properties\""
            );
        }
        for (InstructTextFields.Found found : InstructTextFields.find(mapping)) {
            addVectorFields(found);
        }
    }

    private void addVectorFields(InstructTextFields.Found found) {
        String where = InstructTextSpecParser.where(found.path());
        if (found.insideNested()) {
            throw new MapperParsingException(where + "cannot be declared inside a [nested] field; declare it on the document or in an object");
        }
        InstructTextSpec field = found.spec();
        Object existing = found.sibling();
        if (existing != null && isReadBack(existing, field) == false) {
            throw new MapperParsingException(
                where + "field [" + field.siblingPath() + "] is reserved for its vectors; rename the other field"
            );
        }
        String engine = field.vector().engine();
        String missing = knnLibraries.missingLibrary(engine);
        if (missing != null) {
            throw new MapperParsingException(
                where + "[" + InstructTextSpecParser.VECTOR + "." + InstructTextSpecParser.METHOD + "." + InstructTextSpecParser.ENGINE + "] ["
                    + engine + "] cannot run on this node: its k-NN plugin has no native library [" + System.mapLibraryName(missing)
                    + "] on the library path, and the first write would stop the node; use \"" + InstructTextSpecParser.ENGINE + "\": \""
                    + InstructTextSpecParser.DEFAULT_ENGINE + "\" (the default), or install a k-NN build with its native libraries"
            );
        }
        ModelPack pack = packOf(field, where);
        int dimensions = pack.manifest().dimensions();
        try {
            // what the field's processor is checked for: an unknown task or chunking the model cannot take is refused here
            embeddable.check(field.modelId(), field.task(), field.chunking());
        } catch (EmbeddableCheck.Refusal refusal) {
            throw new MapperParsingException(where + "[" + optionOf(refusal.subject()) + "] " + refusal.getMessage());
        }
        Map<String, String> record = WrittenBy.recordedIn(existing, field);
        if (record == null) {
            record = WrittenBy.of(pack);
        }
        found.properties().put(found.name() + InstructTextSpec.SIBLING_SUFFIX, siblingMapping(field, dimensions, record));
    }

    private static String optionOf(EmbeddableCheck.Subject subject) {
        return switch (subject) {
            case MODEL -> InstructTextSpecParser.MODEL_ID;
            case TASK -> InstructTextSpecParser.TASK;
            case CHUNKING -> InstructTextSpecParser.CHUNKING;
        };
    }

    /**
     * Whether an existing sibling is one this transformer made, sent back (a mapping read with GET
     * and put again): it is replaced by a fresh one, so that a real change (another model, hence
     * another dimension) still meets the usual merge conflict of the existing index.
     */
    private static boolean isReadBack(Object existing, InstructTextSpec field) {
        if (existing instanceof Map<?, ?> map && map.get("properties") instanceof Map<?, ?> properties) {
            String vectors = field.vectorsName();
            return properties.keySet().equals(Set.of(vectors, vectors + "_fingerprint"));
        }
        return false;
    }

    private ModelPack packOf(InstructTextSpec field, String where) {
        PackRegistry registry = packs.get();
        ModelPack pack = registry.get(field.modelId()).orElse(null);
        if (pack == null) {
            throw new MapperParsingException(where + "[" + InstructTextSpecParser.MODEL_ID + "] model [" + field.modelId() + "] not found; models are " + registry.ids());
        }
        if (pack.manifest() == null || pack.state() == PackState.INVALID) {
            throw new MapperParsingException(where + "[" + InstructTextSpecParser.MODEL_ID + "] model [" + field.modelId() + "] has an invalid pack: " + pack.problems());
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
    static Map<String, Object> siblingMapping(InstructTextSpec field, int dimensions, Map<String, String> writtenBy) {
        Map<String, Object> vector = new LinkedHashMap<>();
        vector.put("type", InstructVectorTypeParser.CONTENT_TYPE);
        vector.put("dimension", dimensions);
        vector.put(InstructTextSpecParser.METHOD, field.vector().method());
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
            properties.put(InstructTextSpec.CHUNKS, chunks);
            properties.put(InstructTextSpec.CHUNKS + "_fingerprint", fingerprint);
        } else {
            properties.put(VectorFieldMappings.ARRAY_VECTOR, vector);
            properties.put(VectorFieldMappings.ARRAY_VECTOR + "_fingerprint", fingerprint);
        }
        Map<String, Object> sibling = new LinkedHashMap<>();
        sibling.put("properties", properties);
        return sibling;
    }
}
