package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.pack.InputType;
import io.instructembed.pack.PackManifest;

import io.instructembed.writerule.SourceValues;
import io.instructembed.writerule.TextDigest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a field's vectors were made from, stored next to them as {@code <model part>.<text part>}.
 * The model part hashes the model and the shape of its output, the prompt the texts were rendered
 * with (document template, or a symmetric task's query template with its instruction) and the
 * chunking options; the text part ({@link TextDigest}) hashes the source texts. Equal fingerprints
 * mean re-embedding would give the same vectors, so {@code skip_existing} may reuse the stored
 * ones; any change to one of those inputs gives another fingerprint. The text part alone is what
 * the shard's write rule checks: it needs no model to recompute.
 *
 * <p>Replacing a pack's weight files in place, under the same pack id, is not seen here: the pack id
 * and manifest are what identify a model in the fingerprint. An {@code instruct_text} field records
 * the pack identity in its mapping instead, and refuses writes and queries from other files.
 */
final class EmbeddingFingerprint {
    /** The field written next to each target: {@code <target>_fingerprint}. */
    static final String SUFFIX = "_fingerprint";
    private static final String VERSION = "instruct-embed-fingerprint-2";

    private final String modelPart;

    /**
     * @param chunking the processor's chunking options, or null
     */
    EmbeddingFingerprint(PackManifest manifest, String task, ChunkingOptions chunking) {
        StringBuilder model = new StringBuilder(VERSION);
        model.append('\u0000').append(manifest.id());
        model.append('\u0000').append(manifest.dimensions()).append('/').append(manifest.maxTokens());
        model.append('/').append(manifest.pooling()).append('/').append(manifest.normalize());
        // the template itself, with a marker where the text goes: a changed prompt or instruction changes it
        model.append('\u0000').append(manifest.render(List.of("\u0001"), InputType.DOCUMENT, task, null).get(0));
        model.append('\u0000').append(chunking == null ? "whole" : new TreeMap<>(chunking.toMap()).toString());
        this.modelPart = TextDigest.shortDigest(model.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String fieldFor(String target) {
        return target + SUFFIX;
    }

    /** The fingerprint of one source field's value: a string, or the strings of an array. */
    String of(List<String> texts, boolean array) {
        // 64 + 128 bits: collisions are out of reach, and 34 characters per field stay cheap to store
        return modelPart + TextDigest.SEPARATOR + TextDigest.of(texts, array);
    }

    /** Reads a dotted path out of a document source map (dotted keys too); null when any step is missing. */
    static Object valueAt(Map<String, Object> source, String path) {
        return SourceValues.valueAt(source, path);
    }
}
