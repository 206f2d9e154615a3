package io.instructembed.chunking;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code chunking} object of the ingest processor: how to cut a source text into passages that
 * each fit the model.
 *
 * @param method        how chunks are cut
 * @param maxTokens     tokens of source text per chunk; null: as many as the pack takes after its
 *                      document prompt (resolved against the pack with {@link #resolve})
 * @param overlapTokens tokens each chunk repeats from the end of the previous one (whole sentences
 *                      for {@code sentences})
 */
public record ChunkingOptions(ChunkingMethod method, Integer maxTokens, int overlapTokens) {
    public static final String METHOD = "method";
    public static final String MAX_TOKENS = "max_tokens";
    public static final String OVERLAP_TOKENS = "overlap_tokens";
    /** The options of a {@code chunking} object, wherever one is written (processor or field type). */
    public static final Set<String> KEYS = Set.of(METHOD, MAX_TOKENS, OVERLAP_TOKENS);

    /** Below this, chunks say too little to embed well and a document turns into very many of them. */
    public static final int MIN_MAX_TOKENS = 8;

    public ChunkingOptions {
        if (maxTokens != null && maxTokens < MIN_MAX_TOKENS) {
            throw new IllegalArgumentException("[" + MAX_TOKENS + "] must be at least " + MIN_MAX_TOKENS + ", got [" + maxTokens + "]");
        }
        if (overlapTokens < 0) {
            throw new IllegalArgumentException("[" + OVERLAP_TOKENS + "] must not be negative, got [" + overlapTokens + "]");
        }
        if (maxTokens != null && overlapTokens > maxTokens / 2) {
            throw new IllegalArgumentException(
                "[" + OVERLAP_TOKENS + "] must be at most half of [" + MAX_TOKENS + "] (" + maxTokens / 2 + "), got [" + overlapTokens + "]"
            );
        }
    }

    /**
     * Reads the {@code chunking} object. Problems are thrown as IllegalArgumentException whose
     * message starts with the option's name in brackets.
     */
    public static ChunkingOptions parse(Object value) {
        if (value instanceof Map<?, ?> == false) {
            throw new IllegalArgumentException("must be an object with [" + METHOD + "], [" + MAX_TOKENS + "] and [" + OVERLAP_TOKENS + "]");
        }
        Map<?, ?> map = (Map<?, ?>) value;
        for (Object key : map.keySet()) {
            if (KEYS.contains(key) == false) {
                throw new IllegalArgumentException("[" + key + "] is not a chunking option; the options are [method, max_tokens, overlap_tokens]");
            }
        }
        Object method = map.get(METHOD);
        if (method != null && method instanceof String == false) {
            throw new IllegalArgumentException("[" + METHOD + "] must be a string, got [" + method + "]");
        }
        return new ChunkingOptions(
            method == null ? ChunkingMethod.SENTENCES : ChunkingMethod.fromJson((String) method),
            readInt(map.get(MAX_TOKENS), MAX_TOKENS),
            map.get(OVERLAP_TOKENS) == null ? 0 : readInt(map.get(OVERLAP_TOKENS), OVERLAP_TOKENS)
        );
    }

    private static Integer readInt(Object value, String name) {
        if (value == null) {
            return null;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            long number = ((Number) value).longValue();
            if (number > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("[" + name + "] is too large: [" + value + "]");
            }
            return (int) number;
        }
        if (value instanceof String text) {
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("[" + name + "] must be an integer, got [" + value + "]");
    }

    /**
     * These options with {@code maxTokens} fixed against what the pack takes per chunk after its
     * document prompt ({@code budget}): the default when none was given, a refusal when more was.
     */
    public ChunkingOptions resolve(int budget, String modelId) {
        if (maxTokens == null) {
            return new ChunkingOptions(method, budget, overlapTokens);
        }
        if (maxTokens > budget) {
            throw new IllegalArgumentException(
                "[" + MAX_TOKENS + "] is [" + maxTokens + "], but model [" + modelId + "] takes at most " + budget
                    + " tokens of text per chunk after its document prompt"
            );
        }
        return this;
    }

    /** The options as the user would write them (after {@link #resolve}, with the resolved size). */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put(METHOD, method.jsonName());
        if (maxTokens != null) {
            map.put(MAX_TOKENS, maxTokens);
        }
        map.put(OVERLAP_TOKENS, overlapTokens);
        return map;
    }
}
