package io.instructembed.model;

/**
 * How much of a long text to tokenise when the model keeps only its first {@code maxTokens}
 * tokens. Tokenising a whole 1 MB text to keep 512 tokens of it cost 1.9 s of an inference thread;
 * tokenising a prefix costs what is kept. A prefix gives the same first tokens as the whole text
 * when its tokens, cut at the model's length, end well before the cut: tokenisers decide a token
 * from its word and its near neighbours (normalising character by character, splitting words at
 * whitespace and punctuation, merging pieces within a word), never from text a whole margin away.
 * When a prefix is too short for that (long runs without a break, or many characters per token),
 * a four times longer one is tried, then the whole text: the cost stays proportional to the part
 * that decides the tokens.
 */
final class KeptPrefix {
    /**
     * Code points that must follow the last kept token inside the prefix. Longer than any word a
     * tokeniser treats as one unit (BERT's WordPiece gives up on words over 100 characters), so the
     * word the cut falls in cannot reach back to a kept token.
     */
    static final int MARGIN = 1024;
    /** Characters per token of the first prefix: real text averages 1 (CJK) to 5 (English). */
    static final int FIRST_CHARS_PER_TOKEN = 8;

    private KeptPrefix() {}

    /** The length of the first prefix to try for a model that keeps {@code maxTokens} tokens. */
    static int first(int maxTokens) {
        return (int) Math.min(Integer.MAX_VALUE, (long) maxTokens * FIRST_CHARS_PER_TOKEN + MARGIN);
    }

    /** The next, longer prefix to try after {@code length} was too short. */
    static int next(int length) {
        return (int) Math.min(Integer.MAX_VALUE, (long) length * 4);
    }

    /** {@code length} moved back one char if it would split a surrogate pair (an emoji, a rare CJK character). */
    static int cutAt(String text, int length) {
        return length < text.length() && Character.isLowSurrogate(text.charAt(length)) && length > 0 ? length - 1 : length;
    }

    /**
     * Whether the tokens of a prefix can stand for the whole text's: the tokeniser had to truncate
     * them (so the prefix holds more than the model keeps), and the last kept one ends at least
     * {@link #MARGIN} code points before the prefix does.
     */
    static boolean decides(boolean truncated, int lastKeptEnd, int prefixCodePoints) {
        return truncated && lastKeptEnd + MARGIN <= prefixCodePoints;
    }
}
