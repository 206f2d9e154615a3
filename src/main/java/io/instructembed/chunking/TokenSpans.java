package io.instructembed.chunking;

/**
 * Where each token of a text lies in it, as UTF-16 offsets into the Java string ({@code end}
 * exclusive), in token order. Special tokens are not included: these are the text's own tokens.
 */
public final class TokenSpans {
    private final int[] starts;
    private final int[] ends;

    private TokenSpans(int[] starts, int[] ends) {
        this.starts = starts;
        this.ends = ends;
    }

    /**
     * Spans from a tokenizer that counts characters as Unicode code points (the HuggingFace
     * tokenizers' character offsets), turned into offsets of the Java string: they differ as soon
     * as the text holds a character outside the Basic Multilingual Plane (an emoji, a rare kanji).
     */
    public static TokenSpans ofCodePoints(String text, int[] codePointStarts, int[] codePointEnds) {
        if (text.length() == text.codePointCount(0, text.length())) {
            return new TokenSpans(codePointStarts, codePointEnds);
        }
        int codePoints = text.codePointCount(0, text.length());
        int[] utf16 = new int[codePoints + 1];
        for (int cp = 0, index = 0; cp < codePoints; cp++) {
            utf16[cp] = index;
            index += Character.charCount(text.codePointAt(index));
            utf16[cp + 1] = index;
        }
        int[] starts = new int[codePointStarts.length];
        int[] ends = new int[codePointEnds.length];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = utf16[Math.min(codePointStarts[i], codePoints)];
            ends[i] = utf16[Math.min(codePointEnds[i], codePoints)];
        }
        return new TokenSpans(starts, ends);
    }

    /** Spans already in UTF-16 offsets. */
    public static TokenSpans of(int[] starts, int[] ends) {
        if (starts.length != ends.length) {
            throw new IllegalArgumentException("starts and ends differ in length");
        }
        return new TokenSpans(starts, ends);
    }

    public int size() {
        return starts.length;
    }

    public int start(int token) {
        return starts[token];
    }

    public int end(int token) {
        return ends[token];
    }

    /** The first token that starts at or after {@code offset} ({@link #size()} when none does). */
    int firstTokenAtOrAfter(int offset) {
        int low = 0;
        int high = starts.length;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (starts[mid] < offset) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }
}
