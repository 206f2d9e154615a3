package io.instructembed.writerule;

import org.opensearch.index.mapper.ParseContext;

import java.util.List;

/** Which fields of the document being parsed the write rule checks (the mapping's instruct_text fields, the pipelines' targets). */
@FunctionalInterface
public interface CheckedFieldsSource {
    /** Must be cheap: it is asked for every document; answer from a cache of the mapping or pipeline. */
    List<CheckedField> fieldsOf(ParseContext context);
}
