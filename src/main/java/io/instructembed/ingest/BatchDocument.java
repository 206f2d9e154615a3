package io.instructembed.ingest;

import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.model.DocumentCall;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One document of a batch on its way: its source fields, its index's mapping, and (skip_existing) the stored vectors it keeps. */
final class BatchDocument {
    final IngestDocumentWrapper wrapper;
    final List<FieldTexts.Field> fields;
    /** The mapping of the document's index. */
    final VectorFieldMappings targets;
    /** skip_existing: each field's fingerprint, and its stored target value when that can be kept (else null). */
    private List<String> fingerprints;
    private List<Object> reused;

    BatchDocument(IngestDocumentWrapper wrapper, List<FieldTexts.Field> fields, VectorFieldMappings targets) {
        this.wrapper = wrapper;
        this.fields = fields;
        this.targets = targets;
    }

    /** skip_existing: the fingerprint of each field's new text, to compare with the stored one. */
    void fingerprints(List<String> fingerprints) {
        this.fingerprints = fingerprints;
    }

    /** Keeps the stored vectors of each field whose stored fingerprint is this text's. */
    void reuseFrom(Map<String, Object> stored) {
        List<Object> kept = new ArrayList<>(fields.size());
        for (int f = 0; f < fields.size(); f++) {
            String target = fields.get(f).target();
            Object storedFingerprint = EmbeddingFingerprint.valueAt(stored, EmbeddingFingerprint.fieldFor(target));
            Object storedVectors = EmbeddingFingerprint.valueAt(stored, target);
            kept.add(fingerprints.get(f).equals(storedFingerprint) ? storedVectors : null);
        }
        reused = kept;  // whole or not at all: a stored document that cannot be read keeps nothing
    }

    boolean reused(int field) {
        return reused != null && reused.get(field) != null;
    }

    /** The stored target value a field keeps; only for a {@link #reused} field. */
    Object reusedValue(int field) {
        return reused.get(field);
    }

    /** What the model service embeds of the document: each field's texts, none for a field whose stored vectors are kept. */
    DocumentCall.Document toEmbed() {
        List<DocumentCall.Field> call = new ArrayList<>(fields.size());
        for (int f = 0; f < fields.size(); f++) {
            FieldTexts.Field field = fields.get(f);
            call.add(new DocumentCall.Field(field.source(), field.array(), reused(f) ? List.of() : field.texts()));
        }
        return new DocumentCall.Document(call);
    }
}
