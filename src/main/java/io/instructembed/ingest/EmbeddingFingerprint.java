package io.instructembed.ingest;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.pack.InputType;
import io.instructembed.pack.PackManifest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a field's vectors were made from, as a short hash stored next to them: the model and the
 * shape of its output, the prompt the texts were rendered with (document template, or a symmetric
 * task's query template with its instruction), the chunking options, and the source text itself.
 * Equal fingerprints mean re-embedding would give the same vectors, so {@code skip_existing} may
 * reuse the stored ones; any change to one of those inputs gives another fingerprint.
 *
 * <p>Replacing a pack's weight files in place, under the same pack id, is not seen: the pack id and
 * manifest are what identify a model here.
 */
final class EmbeddingFingerprint {
    /** The field written next to each target: {@code <target>_fingerprint}. */
    static final String SUFFIX = "_fingerprint";
    private static final String VERSION = "instruct-embed-fingerprint-1";

    private final byte[] modelPart;

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
        this.modelPart = model.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String fieldFor(String target) {
        return target + SUFFIX;
    }

    /** The fingerprint of one source field's value: a string, or the strings of an array. */
    String of(List<String> texts, boolean array) {
        MessageDigest digest = sha256();
        digest.update(modelPart);
        digest.update((byte) (array ? 1 : 0));
        for (String text : texts) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            digest.update((byte) 0);
            digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) ':');
            digest.update(bytes);
        }
        // 128 bits: collisions are out of reach, and 22 characters per field stay cheap to store
        byte[] hash = digest.digest();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(hash, 16));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Reads a dotted path out of a document source map; null when any step is missing. */
    @SuppressWarnings("unchecked")
    static Object valueAt(Map<String, Object> source, String path) {
        if (source == null) {
            return null;
        }
        if (source.containsKey(path)) {
            return source.get(path);
        }
        int dot = path.indexOf('.');
        while (dot > 0) {
            Object head = source.get(path.substring(0, dot));
            if (head instanceof Map<?, ?> map) {
                Object found = valueAt((Map<String, Object>) map, path.substring(dot + 1));
                if (found != null) {
                    return found;
                }
            }
            dot = path.indexOf('.', dot + 1);
        }
        return null;
    }
}
