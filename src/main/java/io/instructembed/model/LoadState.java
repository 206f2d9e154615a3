package io.instructembed.model;

import java.util.Locale;

/**
 * A model's lifecycle phase on one node. Work that arrives while a model is {@code LOADING} or
 * {@code DRAINING} waits for it to be loaded; a {@code NOT_LOADED} or {@code FAILED} model is
 * loaded by the first work that needs it.
 */
public enum LoadState {
    NOT_LOADED,
    LOADING,
    LOADED,
    /** Being unloaded: finishing its queued and running work; new work waits for the next load. */
    DRAINING,
    FAILED;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LoadState fromJson(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
