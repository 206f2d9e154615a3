package io.instructembed.writerule;

import io.instructembed.field.InstructTextField;
import io.instructembed.field.InstructTextFieldMapper;
import io.instructembed.field.WrittenBy;
import org.apache.lucene.search.Query;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.index.mapper.DocumentMapper;
import org.opensearch.index.mapper.FieldMapper;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MetadataFieldMapper;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.TextSearchInfo;
import org.opensearch.index.mapper.ValueFetcher;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;
import org.opensearch.search.lookup.SearchLookup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The write rule, where no write can pass it: a metadata mapper whose {@link #postParse} runs on
 * the shard for every document that an index with {@code instruct_text} fields is given, whatever
 * API the write came through (index, every update and bulk form, scripts resolved on the shard,
 * update-by-query, reindex) and on replicas and translog replay alike. For each field, the
 * document's {@code _source} alone must agree: text, and vectors whose fingerprint is that text's;
 * or no text, and no vectors. Anything else is refused with a 400 that names the field and says
 * which API embeds instead, so the stored document stays as it was. Writes that pass through ingest
 * always agree (the system processor embeds them); what is refused is a text changed after ingest:
 * scripted {@code _bulk} updates and scripted upserts, or vectors a client wrote for another text.
 *
 * <p>Only fields whose mapping records their pack ({@link WrittenBy}, written since this rule
 * exists) are checked: documents of fields mapped by older versions may have vectors without a
 * fingerprint, and replaying them must not fail.
 */
public final class WriteRuleFieldMapper extends MetadataFieldMapper {
    public static final String NAME = "_instruct_write_rule";

    public static final TypeParser PARSER = new FixedTypeParser(c -> new WriteRuleFieldMapper());

    /** The checked fields of one mapping: computed once per document mapper, not per document. */
    private record Checked(DocumentMapper mapper, List<Field> fields) {}

    /** One checked field: its paths in {@code _source}. */
    record Field(String path, String siblingPath, String vectorsPath, String fingerprintPath) {
        static Field of(InstructTextField field) {
            return new Field(field.path(), field.siblingPath(), field.target(), field.target() + "_fingerprint");
        }
    }

    private volatile Checked checked;

    private WriteRuleFieldMapper() {
        super(FieldType.INSTANCE);
    }

    @Override
    public void postParse(ParseContext context) {
        List<Field> fields = checkedFields(context.docMapper());
        if (fields.isEmpty()) {
            return;
        }
        Map<String, Object> source = XContentHelper.convertToMap(context.sourceToParse().source(), false, context.sourceToParse().getMediaType())
            .v2();
        for (Field field : fields) {
            String problem = problem(source, field);
            if (problem != null) {
                throw new MapperParsingException(problem);
            }
        }
    }

    /** Why a document breaks the rule for one field, or null when its text and vectors agree. */
    static String problem(Map<String, Object> source, Field field) {
        Object value = SourceValues.valueAt(source, field.path());
        List<String> texts = SourceValues.texts(value);
        boolean hasText = TextDigest.hasText(texts);
        Object vectors = SourceValues.valueAt(source, field.vectorsPath());
        boolean hasVectors = vectors != null && (vectors instanceof List<?> list && list.isEmpty()) == false;
        if (hasText == false) {
            if (hasVectors == false) {
                return null;
            }
            return "field [" + field.path() + "] has no text, but [" + field.siblingPath() + "] still holds vectors: this write removed the "
                + "text where nothing embeds (a script or upsert applied on the shard, after ingest). Remove [" + field.siblingPath()
                + "] with the text (ctx._source.remove('" + field.siblingPath() + "')), or use _update or _update_by_query, which re-embed";
        }
        String expected = TextDigest.of(texts, value instanceof List<?>);
        if (hasVectors && expected.equals(TextDigest.textPart(SourceValues.valueAt(source, field.fingerprintPath())))) {
            return null;
        }
        return "field [" + field.path() + "] has " + (hasVectors ? "vectors of another text" : "no vectors") + " in [" + field.siblingPath()
            + "]: this write set the text where nothing embeds (a script or scripted upsert in _bulk is applied on the shard, after ingest)"
            + ", or it sent vectors of its own. Use _update or _update_by_query for scripts that change the text (they re-embed), or "
            + "send the text as a document or a partial doc, and leave [" + field.siblingPath() + "] to the plugin";
    }

    private List<Field> checkedFields(DocumentMapper mapper) {
        Checked current = checked;
        if (current != null && current.mapper() == mapper) {
            return current.fields();
        }
        List<Field> fields = new ArrayList<>();
        for (Mapper each : mapper.mappers()) {
            if (each instanceof InstructTextFieldMapper instructText) {
                InstructTextField field = instructText.field();
                if (mapper.mappers().getMapper(field.target() + "_fingerprint") instanceof FieldMapper fingerprint
                    && fingerprint.fieldType().meta().containsKey(WrittenBy.MODEL)) {
                    fields.add(Field.of(field));
                }
            }
        }
        checked = new Checked(mapper, List.copyOf(fields));
        return fields;
    }

    @Override
    protected String contentType() {
        return NAME;
    }

    /** Not searchable: the rule only checks documents as they are written. */
    static final class FieldType extends MappedFieldType {
        static final FieldType INSTANCE = new FieldType();

        private FieldType() {
            super(NAME, false, false, false, TextSearchInfo.NONE, Collections.emptyMap());
        }

        @Override
        public String typeName() {
            return NAME;
        }

        @Override
        public ValueFetcher valueFetcher(QueryShardContext context, SearchLookup searchLookup, String format) {
            throw new IllegalArgumentException("Field [" + NAME + "] holds no values");
        }

        @Override
        public Query termQuery(Object value, QueryShardContext context) {
            throw new QueryShardException(context, "Field [" + NAME + "] is not searchable");
        }
    }
}
