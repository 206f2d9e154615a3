package io.instructembed.field;

import io.instructembed.writerule.CheckedField;
import io.instructembed.writerule.CheckedFieldsSource;
import org.opensearch.index.mapper.DocumentMapper;
import org.opensearch.index.mapper.FieldMapper;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.ParseContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The instruct_text fields the write rule checks in a document: those whose mapping records their
 * pack ({@link WrittenBy}). Worked out once per document mapper (a mapping version of one index),
 * not per document: the last answer is kept, and shards of one index share their mapper.
 */
public final class InstructTextWriteRule implements CheckedFieldsSource {
    private record Answer(DocumentMapper mapper, List<CheckedField> fields) {}

    private volatile Answer last;

    @Override
    public List<CheckedField> fieldsOf(ParseContext context) {
        DocumentMapper mapper = context.docMapper();
        Answer answer = last;
        if (answer == null || answer.mapper() != mapper) {
            answer = new Answer(mapper, checkedFields(mapper));
            last = answer;
        }
        return answer.fields();
    }

    static List<CheckedField> checkedFields(DocumentMapper mapper) {
        List<CheckedField> fields = new ArrayList<>();
        for (Mapper each : mapper.mappers()) {
            if (each instanceof InstructTextFieldMapper instructText) {
                InstructTextSpec field = instructText.field();
                String fingerprint = field.target() + "_fingerprint";
                if (mapper.mappers().getMapper(fingerprint) instanceof FieldMapper recorded
                    && recorded.fieldType().meta().containsKey(WrittenBy.MODEL)) {
                    fields.add(new CheckedField(field.path(), field.target(), fingerprint, field.siblingPath(), true));
                }
            }
        }
        return List.copyOf(fields);
    }
}
