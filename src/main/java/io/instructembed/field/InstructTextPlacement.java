package io.instructembed.field;

import org.opensearch.index.mapper.FieldMapper;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MappingLookup;
import org.opensearch.index.mapper.ObjectMapper;

/**
 * Where an {@code instruct_text} field may stand in a mapping. Its vectors are written by the
 * system ingest processor from the field's text in the document's source, so a field whose text
 * does not come from the source under its own name would be indexed as text and never get
 * vectors: a multi-field (its text is its parent's), a field inside a disabled object (nothing
 * under it is indexed), the target of another field's {@code copy_to} (copied values appear only
 * when the document is parsed, after ingest), a field made from a dynamic template (its vector
 * sub-fields are never declared). Each is refused with a 400 that names the field.
 *
 * <p>The first three are checked on the merged mapping ({@link #check}, from the mapper's
 * validation), so that a later put-mapping that adds the {@code copy_to} or places the field in an
 * existing disabled object is refused as well. Dynamic templates are refused by the mapping
 * transformer; {@link #fromDocument} lets the type parser fail a document whose dynamic template
 * slipped past it.
 */
final class InstructTextPlacement {
    private static final String DOCUMENT_PARSER = "org.opensearch.index.mapper.DocumentParser";

    private InstructTextPlacement() {}

    /** Refuses the field {@code name} (full path) when the merged mapping gives it no text of its own. */
    static void check(String name, MappingLookup mappers) {
        String where = InstructTextSpecParser.where(name);
        if (mappers.isMultiField(name)) {
            String parent = name.substring(0, name.lastIndexOf('.'));
            throw new MapperParsingException(
                where + "cannot be a multi-field of [" + parent + "] (\"fields\"): a multi-field has no text of its own in the source, so it "
                    + "would never be embedded; make [" + parent + "] itself an [instruct_text] field (it is searchable as text too), "
                    + "or declare a field of its own and send the text there"
            );
        }
        for (int dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
            String parent = name.substring(0, dot);
            ObjectMapper object = mappers.objectMappers().get(parent);
            if (object != null && object.isEnabled() == false) {
                throw new MapperParsingException(
                    where + "lies inside the object [" + parent + "], which has \"enabled\": false: nothing under it is indexed, so the field "
                        + "would get neither text nor vectors; declare the field outside [" + parent + "], or enable [" + parent + "]"
                );
            }
        }
        for (Mapper mapper : mappers) {
            if (mapper instanceof FieldMapper field && field.copyTo() != null && field.copyTo().copyToFields().contains(name)) {
                throw new MapperParsingException(
                    where + "is the target of the [copy_to] of [" + field.name() + "]: copied values are added after the field is embedded, "
                        + "so they would be searchable as text but never embedded; remove the copy_to and make [" + field.name()
                        + "] an [instruct_text] field of its own, or copy into a [text] field"
                );
            }
        }
    }

    /**
     * Whether the type parser runs while a document is parsed: the one time OpenSearch builds a
     * field mapper then is a field that a dynamic template maps. Declared mappings, templates and
     * dynamic mapping updates applied to the index are parsed outside the document parser.
     */
    static boolean fromDocument() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(frame -> DOCUMENT_PARSER.equals(frame.getClassName())));
    }

    /** The error of a field that a dynamic template would map as instruct_text. */
    static MapperParsingException dynamicTemplateField(String name) {
        return new MapperParsingException(
            "field [" + name + "] of type [" + InstructTextSpec.CONTENT_TYPE + "] cannot be mapped by a dynamic template: it would get no "
                + "vector sub-fields and its documents would never be embedded; declare the field by name under \"properties\""
        );
    }
}
