package io.instructembed.model;

import java.util.Locale;

/** A model's state on one node. */
public enum LoadState {
    NOT_LOADED,
    LOADING,
    LOADED,
    FAILED;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LoadState fromJson(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
