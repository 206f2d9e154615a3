package io.instructembed.writerule;

import org.apache.lucene.search.Query;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MetadataFieldMapper;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.TextSearchInfo;
import org.opensearch.index.mapper.ValueFetcher;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;
import org.opensearch.search.lookup.SearchLookup;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

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
 * <p>The rule reads only {@code _source}, so primaries, replicas and translog replay agree. Which
 * fields it checks comes from a {@link CheckedFieldsSource}: {@code instruct_text} fields whose
 * mapping records their pack (fields mapped by older versions are not checked: their documents
 * may have vectors without a fingerprint, and replaying them must not fail), and the targets of
 * the index's embedding pipelines, for documents that carry a fingerprint.
 */
public final class WriteRuleFieldMapper extends MetadataFieldMapper {
    public static final String NAME = "_instruct_write_rule";

    /**
     * The type parser: every index gets this mapper, which checks the fields that a source made
     * for it names (one source per mapper, so that each index keeps the answer for its own
     * mapping and pipelines instead of sharing one slot with every other index).
     */
    public static TypeParser parser(Supplier<CheckedFieldsSource> fields) {
        return new FixedTypeParser(c -> new WriteRuleFieldMapper(fields.get()));
    }

    private final CheckedFieldsSource fields;

    private WriteRuleFieldMapper(CheckedFieldsSource fields) {
        super(FieldType.INSTANCE);
        this.fields = fields;
    }

    @Override
    public void postParse(ParseContext context) {
        List<CheckedField> checked = fields.fieldsOf(context);
        if (checked.isEmpty()) {
            return;
        }
        Map<String, Object> source = XContentHelper.convertToMap(context.sourceToParse().source(), false, context.sourceToParse().getMediaType())
            .v2();
        for (CheckedField field : checked) {
            String problem = problem(source, field);
            if (problem != null) {
                throw new MapperParsingException(problem);
            }
        }
    }

    /** Why a document breaks the rule for one field, or null when its text and vectors agree. */
    static String problem(Map<String, Object> source, CheckedField field) {
        Object value = SourceValues.valueAt(source, field.path());
        List<String> texts = SourceValues.texts(value);
        boolean hasText = TextDigest.hasText(texts);
        Object vectors = SourceValues.valueAt(source, field.vectorsPath());
        boolean hasVectors = vectors != null && (vectors instanceof List<?> list && list.isEmpty()) == false;
        String textPart = TextDigest.textPart(SourceValues.valueAt(source, field.fingerprintPath()));
        if (textPart == null && field.strict() == false) {
            return null;  // vectors of unknown origin: written before fingerprints were, or by the user
        }
        if (hasText == false) {
            if (hasVectors == false) {
                return null;
            }
            return "field [" + field.path() + "] has no text, but [" + field.vectorsObject() + "] still holds vectors: this write removed the "
                + "text where nothing embeds (a script applied on the shard, after ingest). Remove [" + field.vectorsObject()
                + "] with the text (ctx._source.remove('" + field.vectorsObject() + "')), or use _update or _update_by_query, which re-embed";
        }
        if (hasVectors && TextDigest.of(texts, value instanceof List<?>).equals(textPart)) {
            return null;
        }
        return "field [" + field.path() + "] has " + (hasVectors ? "vectors of another text" : "no vectors") + " in [" + field.vectorsObject()
            + "]: this write set the text where nothing embeds (a script or scripted upsert in _bulk is applied on the shard, after ingest)"
            + ", or it sent vectors of its own. Use _update or _update_by_query for scripts that change the text (they re-embed), or "
            + "send the text as a document or a partial doc, and leave [" + field.vectorsObject() + "] to the plugin";
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
