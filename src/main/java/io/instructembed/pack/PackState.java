package io.instructembed.pack;

import java.util.Locale;

/** Whether a discovered pack can be loaded. */
public enum PackState {
    /** Manifest valid and every file present. */
    AVAILABLE,
    /** Manifest valid, but the weights or tokenizer are not installed (packs whose weights we cannot ship). */
    WEIGHTS_MISSING,
    /** The manifest is missing or wrong; {@link ModelPack#problems()} says why. */
    INVALID;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
