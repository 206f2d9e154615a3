package io.instructembed.pack;

import java.util.Locale;

/** How one vector is taken from the per-token hidden states of a model. */
public enum Pooling {
    /** The first token's state (BERT-style [CLS]). */
    CLS,
    /** The mean of the states of the real (non-padding) tokens. */
    MEAN,
    /** The state of each row's last real token (decoder models such as Llama and Mistral). */
    LAST_TOKEN;

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Pooling fromJson(String value) {
        for (Pooling pooling : values()) {
            if (pooling.jsonName().equals(value)) {
                return pooling;
            }
        }
        throw new IllegalArgumentException("must be one of [cls, mean, last_token], got [" + value + "]");
    }
}
