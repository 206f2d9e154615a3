package io.instructembed.model;

/**
 * Text as the tokenizer must see it: a lone UTF-16 surrogate (JSON allows {@code "\ud800"}) made a
 * replacement character. DJL hands text to the native tokenizer as Java's modified UTF-8, and one
 * lone surrogate anywhere in a text makes that whole conversion fall back to a lossy one that turns
 * every emoji and other character beyond the BMP of the text into replacement characters: a stray
 * surrogate at the end of a long text changed the tokens at its start. Replacing it keeps each
 * character where it was (one UTF-16 unit for one), so offsets into the text stay true.
 */
final class WellFormedText {
    private WellFormedText() {}

    static String of(String text) {
        int bad = firstLoneSurrogate(text);
        if (bad < 0) {
            return text;
        }
        char[] chars = text.toCharArray();
        for (int i = bad; i < chars.length; i++) {
            if (Character.isHighSurrogate(chars[i]) && i + 1 < chars.length && Character.isLowSurrogate(chars[i + 1])) {
                i++;  // a pair: keep both
            } else if (Character.isSurrogate(chars[i])) {
                chars[i] = '\uFFFD';
            }
        }
        return new String(chars);
    }

    private static int firstLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
