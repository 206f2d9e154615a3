package io.instructembed.pack;

import java.util.Locale;

/** Which end of a row padding tokens go to when texts of different lengths share a batch. */
public enum PaddingSide {
    LEFT,
    RIGHT;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PaddingSide fromJson(String value) {
        for (PaddingSide side : values()) {
            if (side.jsonName().equals(value)) {
                return side;
            }
        }
        throw new IllegalArgumentException("must be one of [left, right], got [" + value + "]");
    }
}
