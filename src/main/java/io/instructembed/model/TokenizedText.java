package io.instructembed.model;

/**
 * One text as token ids, ready to be batched.
 *
 * @param truncated whether the text was cut at the pack's max tokens
 */
public record TokenizedText(long[] ids, long[] typeIds, boolean truncated) {
    public int length() {
        return ids.length;
    }
}
