package io.instructembed.pack;

import java.util.Locale;

/** The side of retrieval a text is embedded for: queries get instructions, documents usually not. */
public enum InputType {
    QUERY,
    DOCUMENT;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static InputType fromJson(String value) {
        for (InputType type : values()) {
            if (type.jsonName().equals(value)) {
                return type;
            }
        }
        throw new IllegalArgumentException("[input_type] must be one of [query, document], got [" + value + "]");
    }
}
