package io.instructembed.writerule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The text half of a stored fingerprint ({@code <model part>.<text part>}): a digest of the
 * non-blank texts of one source field, in order, and whether the field was an array. It depends on
 * nothing but the document's own {@code _source}, so the shard's write rule can recompute it for
 * any write, on primaries, replicas and translog replay alike, without the model pack, and compare
 * it with the fingerprint stored beside the vectors. Blank texts give no vectors (neither whole nor
 * chunked), so they take no part.
 */
public final class TextDigest {
    /** Separates the model half from the text half of a fingerprint. */
    public static final char SEPARATOR = '.';

    private TextDigest() {}

    /** Whether a text gives no vectors. The one definition: the processor, the bulk embedder and the write rule use it. */
    public static boolean blank(String text) {
        return text.isBlank();
    }

    /** Whether any of the texts gives vectors. */
    public static boolean hasText(List<String> texts) {
        if (texts == null) {
            return false;
        }
        for (String text : texts) {
            if (blank(text) == false) {
                return true;
            }
        }
        return false;
    }

    /** 128 bits of SHA-256 over the array flag and each non-blank text, URL-safe base64 (22 characters). */
    public static String of(List<String> texts, boolean array) {
        MessageDigest digest = sha256();
        digest.update((byte) (array ? 1 : 0));
        for (String text : texts) {
            if (blank(text)) {
                continue;
            }
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            digest.update((byte) 0);
            digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) ':');
            digest.update(bytes);
        }
        return encode(digest.digest(), 16);
    }

    /** The text half of a stored fingerprint, or null when it has none (absent, or written by an older version). */
    public static String textPart(Object fingerprint) {
        if (fingerprint instanceof String value) {
            int separator = value.lastIndexOf(SEPARATOR);
            return separator < 0 ? null : value.substring(separator + 1);
        }
        return null;
    }

    static String encode(byte[] hash, int bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(hash, bytes));
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A short URL-safe digest of model-side bytes (64 bits: 11 characters). */
    public static String shortDigest(byte[] bytes) {
        return encode(sha256().digest(bytes), 8);
    }
}
