package io.instructembed.model;

/**
 * What one node says about one model.
 *
 * @param device where it runs when loaded (e.g. {@code cpu}), else null
 * @param error  why the last load failed, else null
 */
public record ModelStatus(String modelId, LoadState state, String device, String error, long loadMillis) {}
