package io.instructembed.pack;

import java.util.List;

/** A pack manifest that cannot be used; carries every problem found, each naming its field. */
public class InvalidPackException extends Exception {
    private final List<String> problems;

    public InvalidPackException(String where, List<String> problems) {
        super("invalid model pack " + where + ": " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
