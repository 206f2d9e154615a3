package io.instructembed.chunking;

import java.util.Arrays;
import java.util.Locale;

/** How a long text is cut into chunks. */
public enum ChunkingMethod {
    /** Windows of a fixed number of tokens, each overlapping the previous one. */
    TOKENS,
    /** Whole sentences and paragraphs packed into chunks; a sentence too long for one falls back to token windows. */
    SENTENCES;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ChunkingMethod fromJson(String value) {
        for (ChunkingMethod method : values()) {
            if (method.jsonName().equals(value)) {
                return method;
            }
        }
        throw new IllegalArgumentException(
            "[method] must be one of " + Arrays.stream(values()).map(ChunkingMethod::jsonName).toList() + ", got [" + value + "]"
        );
    }
}
