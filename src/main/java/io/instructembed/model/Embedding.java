package io.instructembed.model;

/**
 * One text's embedding.
 *
 * @param tokens    tokens the model saw (after the prompt and truncation)
 * @param truncated whether the text was cut at the pack's max tokens
 */
public record Embedding(float[] vector, int tokens, boolean truncated) {}
