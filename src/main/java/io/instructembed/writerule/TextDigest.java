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

    /**
     * Whether a text gives no vectors: it has no character but white space (Unicode's White_Space,
     * no-break spaces included), default-ignorable code points (zero-width spaces and joiners,
     * U+2060, U+180E, variation selectors, the BOM, Hangul fillers) and control characters (NUL).
     * A model given such a text sees its special tokens alone, whose vector matches every query a
     * little. The one definition, by rule rather than by a list of examples: the processor, the
     * write rule, {@code _embed}, the OpenAI endpoint and {@code query_text} all use it.
     */
    public static boolean blank(String text) {
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            if (invisible(codePoint) == false) {
                return false;
            }
            i += Character.charCount(codePoint);
        }
        return true;
    }

    private static boolean invisible(int codePoint) {
        if (Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint)) {
            return true;  // White_Space: Java's two tests together cover it, no-break spaces included
        }
        int type = Character.getType(codePoint);
        if (type == Character.CONTROL) {
            return true;
        }
        return defaultIgnorable(codePoint);
    }

    /** Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), which Java does not expose. */
    static boolean defaultIgnorable(int c) {
        return c == 0x00AD || c == 0x034F || c == 0x061C || (c >= 0x115F && c <= 0x1160) || (c >= 0x17B4 && c <= 0x17B5)
            || (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F)
            || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8)
            || (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
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
